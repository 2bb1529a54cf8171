// Arrow 5 in its mutual form, as the server reads it (PROTOCOL.md §7.7): the key exchange, then the
// client's CERTIFICATE and CertificateVerify; then the server's checks 1–4 of them against a fixed
// trust store (tests/fuzz/pki/ca.crt) at the time the seeds were made.
//
// Input: one byte choosing the key exchange's form (even: ClientKeyExchange, odd: ClientKeyShare),
// then one complete handshake message (msg_type || uint24 length || body). A decoded message must
// round-trip; its signed_fields must be the body's bytes before `scheme`; a check that fails must
// give a reason, and one that passes is impossible here (the transcript is not the one signed).
// Seeds: tests/fuzz/corpus/fuzz_client_authentication/ (make_corpus.py).
#include <openssl/err.h>

#include "fuzz_support.hpp"
#include "tlslab/handshake_rules.hpp"

namespace {

using namespace tlslab;

struct ServerView {
  ossl::X509Ptr anchor = fuzz::pki_certificate("ca.crt");
  crypto::TrustStore trust = fuzz::trust_store_of(anchor.get());
  std::vector<std::uint16_t> schemes = accepted_client_schemes();
  std::time_t now = fuzz::pki_generated_at();
};

const ServerView& server_view() {
  static const ServerView* view = new ServerView;  // never freed: lives as long as the process
  return *view;
}

template <class Form>
void check(ByteView message) {
  auto decoded = fuzz::check_handshake_message<Authenticated<Form>>(message);
  if (!decoded) return;
  Bytes fields = decoded->signed_fields();
  // msg_type (1) and length (3), then the fields, then scheme (2) and the signature with its length (2).
  fuzz::require(fields.size() + 4 + 2 + 2 + decoded->authentication.signature.size() == message.size(),
                "signed_fields is not the body before scheme");
  fuzz::require(fuzz::same_bytes(fields, message.subspan(4, fields.size())),
                "signed_fields differs from the bytes on the wire");
  const ServerView& view = server_view();
  Bytes handshake_so_far(64, 0x5a);  // not a transcript anyone signed
  auto checked = check_client_authentication(decoded->authentication, fields, handshake_so_far, HashAlgorithm::sha256,
                                             view.trust, view.schemes, view.now);
  fuzz::require(!checked.ok(), "a CertificateVerify over another transcript verified");
  fuzz::require(!checked.failure().reason.empty(), "a refused client certificate carries a reason");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)server_view();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  ByteView message(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    check<ClientKeyExchange>(message);
  } else {
    check<ClientKeyShare>(message);
  }
  ERR_clear_error();
  return 0;
}
