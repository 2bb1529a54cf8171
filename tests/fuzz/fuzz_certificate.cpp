// The CERTIFICATE of arrow 2 as the client handles it (PROTOCOL.md §5 steps 2–4, in the order of
// client/src/handshake.cpp): parse_certificate_der, the fields the trace shows, then, on a
// successful parse, check_server_hello and verify_server_certificate against a fixed trust store
// (tests/fuzz/pki/ca.crt) at the time the seeds were made, for a DNS name and for an IP address.
//
// Input: the certificate, DER. The ServerHello around it offers what the ClientHello offered and
// carries as SERVER'S PUBLIC KEY the certificate's own SubjectPublicKeyInfo bytes (so that step 3
// is reached with the key the certificate holds), then, a second time, another certificate's key.
// Every failure must carry one of the alerts §5 names for these steps.
// Seeds: tests/fuzz/corpus/fuzz_certificate/ (make_corpus.py).
#include <openssl/err.h>

#include "fuzz_support.hpp"
#include "tlslab/handshake_rules.hpp"

namespace {

using namespace tlslab;

struct ClientView {
  ossl::X509Ptr anchor = fuzz::pki_certificate("ca.crt");
  crypto::TrustStore trust = fuzz::trust_store_of(anchor.get());
  ossl::X509Ptr other = fuzz::pki_certificate("server.crt");
  std::time_t now = fuzz::pki_generated_at();
  ClientHello offered = [] {
    ClientHello hello;
    for (CipherSuite suite : default_suites()) hello.cipher_suites.push_back(static_cast<std::uint16_t>(suite));
    hello.set_server_name("localhost");
    return hello;
  }();
};

const ClientView& client_view() {
  static const ClientView* view = new ClientView;  // never freed: lives as long as the process
  return *view;
}

// The SubjectPublicKeyInfo exactly as the certificate encodes it (no key decoding involved).
Bytes spki_bytes(X509* certificate) {
  unsigned char* encoded = nullptr;
  int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &encoded);
  if (length <= 0) return {};
  Bytes der(encoded, encoded + length);
  OPENSSL_free(encoded);
  return der;
}

void check_hello(X509* certificate, ByteView der, Bytes server_public_key) {
  const ClientView& view = client_view();
  ServerHello hello;
  hello.cipher_suite = static_cast<std::uint16_t>(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  hello.certificate.assign(der.begin(), der.end());
  hello.server_public_key = std::move(server_public_key);
  auto suite = check_server_hello(view.offered, hello, certificate);
  if (!suite) {
    fuzz::require(suite.failure().alert == AlertDescription::bad_certificate,
                  "a ServerHello that is fine but for its certificate fails with bad_certificate");
  } else {
    fuzz::require(suite->suite == CipherSuite::rsa_oaep_aes_128_gcm_sha256,
                  "check_server_hello returns the chosen suite");
    fuzz::require(crypto::rsa_bits(X509_get0_pubkey(certificate)) >= 2048,
                  "accepted a key that cannot carry PRE-MASTER");
  }
}

void check_path(X509* certificate, const std::string& host_name) {
  const ClientView& view = client_view();
  auto verified = crypto::verify_server_certificate(view.trust, certificate, host_name, view.now);
  if (!verified) {
    auto alert = verified.failure().alert;
    fuzz::require(alert == AlertDescription::unknown_ca || alert == AlertDescription::certificate_expired ||
                      alert == AlertDescription::bad_certificate,
                  "a rejected certificate is unknown_ca, certificate_expired or bad_certificate");
    return;
  }
  // What the client traces after a successful check.
  X509* issuer = view.trust.issuer_of(certificate);
  fuzz::require(issuer != nullptr, "a verified certificate has a trusted issuer");
  (void)crypto::subject_of(issuer);
  (void)crypto::not_before_of(certificate);
  (void)crypto::not_after_of(certificate);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)client_view();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView der(data, size);
  auto parsed = crypto::parse_certificate_der(der);
  if (!parsed) {
    fuzz::require(parsed.failure().alert == AlertDescription::bad_certificate,
                  "a certificate that does not parse is bad_certificate");
    return 0;
  }
  X509* certificate = parsed.value().get();
  // The trace line of arrow 2.
  (void)crypto::subject_of(certificate);
  (void)crypto::serial_hex(certificate);
  (void)crypto::issuer_of(certificate);

  check_hello(certificate, der, spki_bytes(certificate));
  check_hello(certificate, der, spki_bytes(client_view().other.get()));
  check_path(certificate, "localhost");
  check_path(certificate, "127.0.0.1");
  ERR_clear_error();
  return 0;
}
