#pragma once
// Addresses as the command lines give them, and connecting with a deadline.
#include <chrono>
#include <string>

#include "tlslab/net/asio.hpp"

namespace tlslab::net {

// "127.0.0.1:4433" or "[::1]:4433" or "localhost:4433"; throws std::invalid_argument with a
// message saying what is wrong.
tcp::endpoint parse_endpoint(const std::string& text);

// "127.0.0.1:4433"
std::string endpoint_text(const tcp::endpoint& endpoint);

// Connects within `timeout`; throws ProtocolError(TransportFailure) naming the address.
awaitable<tcp::socket> connect_with_deadline(const tcp::endpoint& endpoint, std::chrono::milliseconds timeout);

}  // namespace tlslab::net
