#include "server_hello.hpp"

#include <ctime>

#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::server {

ServerHello make_server_hello(const ServerHelloParts& parts, const ServerIdentity& identity,
                              const Random& client_random, const Random& server_random) {
  ServerHello hello;
  hello.server_version = parts.version;
  hello.random = server_random;
  hello.cipher_suite = static_cast<std::uint16_t>(parts.suite.suite);
  hello.certificate = identity.certificate_der;
  hello.server_public_key = identity.public_key_der;
  if (parts.ephemeral != nullptr) {
    hello.set_key_share(make_server_key_share(*parts.ephemeral, identity.key.get(), client_random, server_random));
  }
  if (parts.staple != nullptr) hello.set_staple(parts.staple->ocsp_response);
  if (parts.mutual) hello.set_certificate_request(accepted_client_schemes());
  return hello;
}

std::vector<TraceField> describe_server_hello(const ServerHello& hello, const ServerIdentity& identity,
                                              const Staple* staple) {
  auto fields = describe::server_hello(hello, identity.certificate.get());
  if (staple != nullptr) {
    auto stapled = describe::stapled_answer(staple->status, staple->ocsp_response.size(), std::time(nullptr));
    fields.insert(fields.end(), stapled.begin(), stapled.end());
  }
  return fields;
}

}  // namespace tlslab::server
