#include "client_hello.hpp"

#include <algorithm>

#include "session_file.hpp"

namespace tlslab::client {

ClientHello make_client_hello(const ClientSettings& settings, const Random& client_random) {
  ClientHello hello;
  hello.random = client_random;
  for (CipherSuite suite : settings.suites) hello.cipher_suites.push_back(static_cast<std::uint16_t>(suite));
  hello.set_server_name(settings.server_name);
  if (std::any_of(settings.suites.begin(), settings.suites.end(),
                  [](CipherSuite suite) { return suite_info(suite)->key_exchange == KeyExchange::ecdhe; })) {
    std::vector<std::uint16_t> groups;
    for (NamedGroup group : settings.groups) groups.push_back(static_cast<std::uint16_t>(group));
    hello.set_key_share_groups(groups);
  }
  if (settings.ca_check != CaCheck::direct && settings.ca_check != CaCheck::crl)
    hello.ask_for_staple();                          // "staple, please"
  if (settings.identity) hello.offer_certificate();  // the client has a certificate
  // §7.8: the ticket kept from an earlier session with this server, or "I can keep one".
  if (settings.session_file || settings.keep_session)
    hello.offer_session_ticket(settings.resume ? ByteView(settings.resume->ticket) : ByteView());
  return hello;
}

}  // namespace tlslab::client
