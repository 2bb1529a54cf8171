#pragma once
// A tlslab session made in the test with the project's own codec and crypto, as the bytes a
// capture would hold: each side's reassembled stream and the order in which they arrived. What
// the session says (randoms, master secret, application data) is kept, to compare with what
// tlslab-decrypt recovers.
#include <cstdint>
#include <string>
#include <vector>

#include "tcp_capture.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/record.hpp"
#include "tlslab/crypto/secret.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::decrypt::test {

// An RSA-2048 key made once per process (key generation is slow).
EVP_PKEY* server_key();
EVP_PKEY* other_key();
ossl::PKey copy_of(EVP_PKEY* key);  // a new owning reference (EVP_PKEY_up_ref)

struct SessionOptions {
  std::uint16_t suite = 0x0A01;
  std::vector<std::string> requests = {"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"};
  std::vector<std::string> responses = {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"};
  bool stop_before_key_exchange = false;       // the client sends an alert instead of arrow 5
  bool replace_server_random_on_wire = false;  // the capture shows another RAND-SERVER
};

struct RecordedSession {
  TcpConnection connection;
  Random client_random{};
  std::string keylog_line;  // what client and server would append (§11)
};

RecordedSession record_rsa_session(const SessionOptions& options = {});
// An ECDHE session's bytes as §7.6 puts them on the wire: key_share extensions and a 1-byte
// key_exchange vector. The key shares are random bytes here: nothing in the test opens it.
RecordedSession record_ecdhe_session(std::uint16_t group = 0x001D);

}  // namespace tlslab::decrypt::test
