#pragma once
// NSS key log lines (PROTOCOL.md §11): CLIENT_RANDOM <client random> <master secret>.
#include <string>

#include "tlslab/crypto/secret.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::crypto {

std::string keylog_line(const Random& client_random, const Secret& master_secret);
// Appends the line to `path` (created 0600). Throws std::runtime_error naming the file.
void append_keylog(const std::string& path, const Random& client_random, const Secret& master_secret);

}  // namespace tlslab::crypto
