#include "pre_master.hpp"

#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::server {

awaitable<Secret> receive_pre_master(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                     const ServerIdentity& identity, const ClientHello& hello,
                                     const crypto::EphemeralKey* ephemeral, SessionTrace& trace) {
  if (ephemeral == nullptr) {
    // The PRE-MASTER, encrypted with SERVER'S PUBLIC KEY: decrypted, or a random one (§7.1).
    auto received = co_await channel.expect<ClientKeyExchange>(flow, &transcript);
    const ClientKeyExchange& key_exchange = received.message;
    Secret pre_master =
        recover_pre_master(*identity.decryptor, key_exchange.encrypted_pre_master, hello.client_version);
    trace.arrow(received.step, std::move(received.frame),
                [&] { return describe::key_exchange(key_exchange, pre_master, trace.shows_secrets()); });
    co_return pre_master;
  }
  // The client's ephemeral key share: ECDH with ours gives the PRE-MASTER, never sent (§7.6).
  auto received = co_await channel.expect<ClientKeyShare>(flow, &transcript);
  const ClientKeyShare& share = received.message;
  Secret pre_master = ephemeral->derive(share.key_exchange).take();
  trace.arrow(received.step, std::move(received.frame), [&] {
    return describe::key_share_exchange(share, *ephemeral, "server's", pre_master, trace.shows_secrets());
  });
  co_return pre_master;
}

}  // namespace tlslab::server
