#include "pre_master.hpp"

#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/signature.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::client {
namespace {

// §7.7: the key exchange, then the client's CERTIFICATE and its signature over ClientHello ‖
// ServerHello ‖ the fields before the signature, with the client's private key.
template <class KeyExchangeForm>
Authenticated<KeyExchangeForm> authenticate(KeyExchangeForm form, const ClientIdentity& identity,
                                            crypto::SignatureScheme scheme, const SuiteInfo& suite,
                                            const crypto::Transcript& transcript) {
  Authenticated<KeyExchangeForm> message{std::move(form),
                                         {identity.certificate_der, static_cast<std::uint16_t>(scheme), {}}};
  Bytes content = client_certificate_verify_content(suite.hash, transcript.messages(), message.signed_fields());
  message.authentication.signature = crypto::sign(identity.key.get(), scheme, content);
  return message;
}

// Sends arrow 5 in the form asked for: `form` alone, or with the client's authentication. `describe`
// gives the key exchange's fields and facts (Described).
template <class KeyExchangeForm, class Describe>
awaitable<void> send_form(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                          const SuiteInfo& suite, const ServerHello& server_hello, const ClientIdentity* identity,
                          KeyExchangeForm form, SessionTrace& trace, Describe describe) {
  auto requested = server_hello.certificate_request();
  if (!requested) {
    auto sent = co_await channel.send(flow, form, &transcript);
    trace.arrow(sent.step, std::move(sent.frame), [&] { return describe(form); });
    co_return;
  }
  // check_server_hello let a certificate_request through only when the client offered one, which it
  // does only with an identity.
  if (identity == nullptr) throw std::logic_error("a certificate request without a certificate offered");
  crypto::SignatureScheme scheme = client_signature_scheme(*requested, identity->key.get()).take();
  auto message = authenticate(std::move(form), *identity, scheme, suite, transcript);
  auto sent = co_await channel.send(flow, message, &transcript);
  trace.arrow(sent.step, std::move(sent.frame), [&] {
    Described described = describe(message.key_exchange);
    auto authentication = describe::client_authentication(message.authentication, identity->certificate.get(), false);
    described.fields.insert(described.fields.end(), authentication.begin(), authentication.end());
    facts_of::add_client_authentication(described.facts, message.authentication);
    return described;
  });
}

}  // namespace

awaitable<Secret> send_pre_master(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                  const SuiteInfo& suite, const ClientHello& hello, const ServerHello& server_hello,
                                  X509* certificate, const ClientIdentity* identity, SessionTrace& trace) {
  if (suite.key_exchange == KeyExchange::rsa_oaep) {
    // A new random PRE-MASTER, encrypted with SERVER'S PUBLIC KEY (§7.1).
    Secret pre_master = make_pre_master(hello.client_version);
    ClientKeyExchange key_exchange{crypto::rsa_oaep_encrypt(X509_get0_pubkey(certificate), pre_master.view())};
    co_await send_form(channel, flow, transcript, suite, server_hello, identity, std::move(key_exchange), trace,
                       [&](const ClientKeyExchange& sent) {
                         return Described{describe::key_exchange(sent, pre_master, trace.shows_secrets()),
                                          facts_of::key_transport(pre_master, Party::client, trace.shows_secrets())};
                       });
    co_return pre_master;
  }
  // Our ephemeral key in the server's group: ECDH with its share (checked with the ServerHello)
  // gives the PRE-MASTER; only our public share is sent (§7.6).
  ServerKeyShare server_share = *server_hello.key_share();
  auto ephemeral = crypto::EphemeralKey::generate(*named_group(server_share.group));
  Secret pre_master = ephemeral.derive(server_share.key_exchange).take();
  ClientKeyShare share{ephemeral.public_key()};
  co_await send_form(channel, flow, transcript, suite, server_hello, identity, std::move(share), trace,
                     [&](const ClientKeyShare& sent) {
                       return Described{
                           describe::key_share_exchange(sent, ephemeral, "client's", pre_master, trace.shows_secrets()),
                           facts_of::key_share(ephemeral, Party::client, pre_master, trace.shows_secrets())};
                     });
  co_return pre_master;  // `ephemeral` is freed (and its private key cleared) here
}

}  // namespace tlslab::client
