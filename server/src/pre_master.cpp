#include "pre_master.hpp"

#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::server {
namespace {

// The PRE-MASTER, encrypted with SERVER'S PUBLIC KEY: decrypted, or a random one (§7.1).
struct FromKeyTransport {
  const ServerIdentity& identity;
  const ClientHello& hello;
  using Form = ClientKeyExchange;
  Result<Secret> pre_master(const ClientKeyExchange& key_exchange) const {
    return recover_pre_master(*identity.decryptor, key_exchange.encrypted_pre_master, hello.client_version);
  }
  Described describe(const ClientKeyExchange& key_exchange, const Secret& pre_master, bool show_secrets) const {
    return {describe::key_exchange(key_exchange, pre_master, show_secrets),
            facts_of::key_transport(pre_master, Party::server, show_secrets)};
  }
};

// The client's ephemeral key share: ECDH with ours gives the PRE-MASTER, never sent (§7.6).
struct FromKeyShare {
  const crypto::EphemeralKey& ephemeral;
  using Form = ClientKeyShare;
  Result<Secret> pre_master(const ClientKeyShare& share) const { return ephemeral.derive(share.key_exchange); }
  Described describe(const ClientKeyShare& share, const Secret& pre_master, bool show_secrets) const {
    return {describe::key_share_exchange(share, ephemeral, "server's", pre_master, show_secrets),
            facts_of::key_share(ephemeral, Party::server, pre_master, show_secrets)};
  }
};

template <class Exchange>
awaitable<ReceivedKeyExchange> receive(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                       const Exchange& exchange, bool mutual, SessionTrace& trace) {
  ReceivedKeyExchange received;
  if (!mutual) {
    auto message = co_await channel.expect<typename Exchange::Form>(flow, &transcript);
    received.pre_master = exchange.pre_master(message.message).take();
    trace.arrow(message.step, std::move(message.frame),
                [&] { return exchange.describe(message.message, received.pre_master, trace.shows_secrets()); });
    co_return received;
  }
  // §7.7: the key exchange, then the client's CERTIFICATE and CertificateVerify (checked by the caller).
  received.handshake_before = transcript.messages().size();
  auto message = co_await channel.expect<Authenticated<typename Exchange::Form>>(flow, &transcript);
  // §7.7: a key share that gives no PRE-MASTER is refused only after the checks of the client's
  // CERTIFICATE and the CA's answer (the caller's), so a refused certificate gets its own alert.
  if (auto pre_master = exchange.pre_master(message.message.key_exchange); pre_master) {
    received.pre_master = std::move(pre_master).value();
  } else {
    received.key_exchange = pre_master.failure();
  }
  received.signed_fields = message.message.signed_fields();
  trace.arrow(message.step, std::move(message.frame), [&] {
    Described described = exchange.describe(message.message.key_exchange, received.pre_master, trace.shows_secrets());
    auto& fields = described.fields;
    if (!received.key_exchange) {
      fields.push_back({"key share",
                        "gives no PRE-MASTER (" + received.key_exchange.failure().reason +
                            "): refused after the client's certificate is checked (§7.7)",
                        TraceColor::bad});
    }
    auto parsed = crypto::parse_certificate_der(message.message.authentication.client_certificate);
    auto authentication =
        describe::client_authentication(message.message.authentication, parsed ? parsed->get() : nullptr, false);
    fields.insert(fields.end(), authentication.begin(), authentication.end());
    facts_of::add_client_authentication(described.facts, message.message.authentication);
    return described;
  });
  received.authentication = std::move(message.message.authentication);
  co_return received;
}

}  // namespace

awaitable<ReceivedKeyExchange> receive_pre_master(net::Channel& channel, FlowCursor& flow,
                                                  crypto::Transcript& transcript, const ServerIdentity& identity,
                                                  const ClientHello& hello, const crypto::EphemeralKey* ephemeral,
                                                  bool mutual, SessionTrace& trace) {
  // Named locals, not temporaries, around co_await: GCC 12 may destroy such a temporary twice.
  if (ephemeral == nullptr) {
    FromKeyTransport key_transport{identity, hello};
    ReceivedKeyExchange received = co_await receive(channel, flow, transcript, key_transport, mutual, trace);
    co_return received;
  }
  FromKeyShare key_share{*ephemeral};
  ReceivedKeyExchange received = co_await receive(channel, flow, transcript, key_share, mutual, trace);
  co_return received;
}

}  // namespace tlslab::server
