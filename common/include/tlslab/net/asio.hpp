#pragma once
// The Asio vocabulary of tlslab: C++20 coroutines on Boost.Asio 1.81.
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace tlslab {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
template <class T = void>
using awaitable = asio::awaitable<T>;
using asio::use_awaitable;
}  // namespace tlslab
