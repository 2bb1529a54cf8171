#include "pre_master.hpp"

#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::client {

awaitable<Secret> send_pre_master(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                  const SuiteInfo& suite, const ClientHello& hello, const ServerHello& server_hello,
                                  X509* certificate, SessionTrace& trace) {
  if (suite.key_exchange == KeyExchange::rsa_oaep) {
    // A new random PRE-MASTER, encrypted with SERVER'S PUBLIC KEY (§7.1).
    Secret pre_master = make_pre_master(hello.client_version);
    ClientKeyExchange key_exchange{crypto::rsa_oaep_encrypt(X509_get0_pubkey(certificate), pre_master.view())};
    auto sent = co_await channel.send(flow, key_exchange, &transcript);
    trace.arrow(sent.step, std::move(sent.frame),
                [&] { return describe::key_exchange(key_exchange, pre_master, trace.shows_secrets()); });
    co_return pre_master;
  }
  // Our ephemeral key in the server's group: ECDH with its share (checked with the ServerHello)
  // gives the PRE-MASTER; only our public share is sent (§7.6).
  ServerKeyShare server_share = *server_hello.key_share();
  auto ephemeral = crypto::EphemeralKey::generate(*named_group(server_share.group));
  Secret pre_master = ephemeral.derive(server_share.key_exchange).take();
  ClientKeyShare share{ephemeral.public_key()};
  auto sent = co_await channel.send(flow, share, &transcript);
  trace.arrow(sent.step, std::move(sent.frame), [&] {
    return describe::key_share_exchange(share, ephemeral, "client's", pre_master, trace.shows_secrets());
  });
  co_return pre_master;  // `ephemeral` is freed (and its private key cleared) here
}

}  // namespace tlslab::client
