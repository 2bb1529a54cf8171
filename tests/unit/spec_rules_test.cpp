// Rules docs/PROTOCOL.md pins down where an implementation written from it alone had to guess:
// the order of the checks and the alert each gives, and the exact encodings of the CA's answer.
#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include "database.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"
#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/record.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/channel.hpp"

namespace tlslab {
namespace {

using test::alert_of;
using test::test_pki;

// The server certificate issued again with `extensions` (name → value, as in openssl.cnf) in
// place of the CA's defaults for those names, signed by the test CA.
ossl::X509Ptr reissued_with(std::initializer_list<std::pair<int, const char*>> extensions) {
  ossl::X509Ptr copy(X509_dup(test_pki().server_certificate.get()));
  for (auto [nid, value] : extensions) {
    for (int at = X509_get_ext_by_NID(copy.get(), nid, -1); at >= 0; at = X509_get_ext_by_NID(copy.get(), nid, -1)) {
      X509_EXTENSION_free(X509_delete_ext(copy.get(), at));
    }
    if (value == nullptr) continue;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, test_pki().ca.certificate.get(), copy.get(), nullptr, nullptr, 0);
    ossl::X509Extension extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    ossl::check(extension && X509_add_ext(copy.get(), extension.get(), -1) == 1, "X509_add_ext");
  }
  ossl::check(X509_sign(copy.get(), test_pki().ca.key.get(), EVP_sha256()) > 0, "X509_sign");
  return crypto::parse_certificate_der(crypto::certificate_der(copy.get())).take();
}

Result<SuiteInfo> check_hello_for(X509* certificate) {
  ClientHello offered;
  offered.cipher_suites = {0x0A01};
  ServerHello hello;
  hello.cipher_suite = 0x0A01;
  hello.certificate = crypto::certificate_der(certificate);
  hello.server_public_key = crypto::certificate_public_key_der(certificate);
  return check_server_hello(offered, hello, certificate);
}

// §5 step 3: a key that transports the PRE-MASTER needs keyEncipherment when keyUsage is present.
TEST(CertificateRules, KeyUsageWithoutKeyEnciphermentIsABadCertificate) {
  auto signing_only = reissued_with({{NID_key_usage, "critical,digitalSignature"}});
  EXPECT_EQ(alert_of(check_hello_for(signing_only.get())), AlertDescription::bad_certificate);
  auto without_key_usage = reissued_with({{NID_key_usage, nullptr}});
  EXPECT_TRUE(check_hello_for(without_key_usage.get()).ok()) << "no keyUsage restricts nothing";
}

// The server certificate with another key in it, signed again by the test CA.
ossl::X509Ptr rekeyed(EVP_PKEY* key) {
  ossl::X509Ptr copy(X509_dup(test_pki().server_certificate.get()));
  ossl::check(X509_set_pubkey(copy.get(), key) == 1, "X509_set_pubkey");
  ossl::check(X509_sign(copy.get(), test_pki().ca.key.get(), EVP_sha256()) > 0, "X509_sign");
  return crypto::parse_certificate_der(crypto::certificate_der(copy.get())).take();
}

// An ECDHE ServerHello (0x0B01, x25519) for `certificate`, its key share signed with `signing_key`
// (or, for a key no scheme of §7.6 signs with, an ECDSA-labelled placeholder).
Result<SuiteInfo> check_ecdhe_hello_for(X509* certificate, EVP_PKEY* signing_key) {
  ClientHello offered;
  offered.cipher_suites = {0x0B01};
  offered.set_key_share_groups({static_cast<std::uint16_t>(NamedGroup::x25519)});
  ServerHello hello;
  hello.cipher_suite = 0x0B01;
  hello.certificate = crypto::certificate_der(certificate);
  hello.server_public_key = crypto::certificate_public_key_der(certificate);
  auto ephemeral = crypto::EphemeralKey::generate(NamedGroup::x25519);
  if (signing_key != nullptr) {
    hello.set_key_share(make_server_key_share(ephemeral, signing_key, offered.random, hello.random));
  } else {
    hello.set_key_share(
        {static_cast<std::uint16_t>(NamedGroup::x25519), ephemeral.public_key(), 0x0403, Bytes(72, 0x5e)});
  }
  return check_server_hello(offered, hello, certificate);
}

// §5 step 3 with an ECDHE suite (issue 21 point 2): the key signs the key share, so it is an RSA key
// of at least 2048 bits or an EC P-256 key, and keyUsage, when present, allows digitalSignature;
// anything else is bad_certificate.
TEST(CertificateRules, EcdheTakesAnRsaOrEcP256KeyThatMaySign) {
  EXPECT_TRUE(check_ecdhe_hello_for(test_pki().server_certificate.get(), test_pki().server_key.get()).ok());
  EXPECT_TRUE(check_ecdhe_hello_for(test_pki().ec_server_certificate.get(), test_pki().ec_server_key.get()).ok());
  ossl::PKey p384(EVP_EC_gen("P-384"));
  ASSERT_TRUE(p384);
  auto p384_certificate = rekeyed(p384.get());
  EXPECT_EQ(alert_of(check_ecdhe_hello_for(p384_certificate.get(), nullptr)), AlertDescription::bad_certificate)
      << "EC P-384: no scheme of §7.6 signs with it";
  auto enciphering_only = reissued_with({{NID_key_usage, "critical,keyEncipherment"}});
  EXPECT_EQ(alert_of(check_ecdhe_hello_for(enciphering_only.get(), test_pki().server_key.get())),
            AlertDescription::bad_certificate)
      << "keyEncipherment is not digitalSignature";
  auto signing_only = reissued_with({{NID_key_usage, "critical,digitalSignature"}});
  EXPECT_TRUE(check_ecdhe_hello_for(signing_only.get(), test_pki().server_key.get()).ok())
      << "digitalSignature alone is enough for ECDHE (it is not for RSA key transport)";
}

// §5 step 4: no extendedKeyUsage is any use (RFC 5280 §4.2.1.12); a CA certificate is no server's.
TEST(CertificateRules, AbsentExtendedKeyUsageIsAcceptedACaLeafIsNot) {
  auto trust = test::trust_store_with_test_ca();
  auto without_eku = reissued_with({{NID_ext_key_usage, nullptr}});
  auto verified = crypto::verify_server_certificate(trust, without_eku.get(), "localhost");
  EXPECT_TRUE(verified.ok()) << verified.failure().reason;
  auto ca_leaf = reissued_with({{NID_basic_constraints, "critical,CA:TRUE"}});
  EXPECT_EQ(alert_of(crypto::verify_server_certificate(trust, ca_leaf.get(), "localhost")),
            AlertDescription::bad_certificate);
}

// §5 step 4, the order: the issuer first (unknown_ca), then the host name (bad_certificate), then
// the validity period (certificate_expired): expired and for another name is bad_certificate.
TEST(CertificateRules, TheHostNameIsCheckedBeforeTheValidityPeriod) {
  auto trust = test::trust_store_with_test_ca();
  X509* expired = test_pki().expired_certificate.get();
  EXPECT_EQ(alert_of(crypto::verify_server_certificate(trust, expired, "other.test")),
            AlertDescription::bad_certificate);
  EXPECT_EQ(alert_of(crypto::verify_server_certificate(trust, expired, "localhost")),
            AlertDescription::certificate_expired);
  EXPECT_EQ(alert_of(crypto::verify_server_certificate(trust, test_pki().other_ca_certificate.get(), "other.test")),
            AlertDescription::unknown_ca);
}

// §5 step 4: the issuer is found by key identifier, not by name. A trusted CA of the same name but
// another key did not issue the certificate: unknown_ca, and the reason says why.
TEST(CertificateRules, ASameNamedCaWithAnotherKeyIsUnknownCa) {
  ca::CaMaterial impostor = ca::make_ca(ca::KeyType::ec_p256, "tlslab test CA", ca::validity_from_now(30));
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(test::share(impostor.certificate.get()));
  crypto::TrustStore trust(std::move(anchors));
  auto verified = crypto::verify_server_certificate(trust, test_pki().server_certificate.get(), "localhost");
  ASSERT_EQ(alert_of(verified), AlertDescription::unknown_ca);
  EXPECT_NE(verified.failure().reason.find("named '/O=tlslab/CN=tlslab test CA' too, but its key is another"),
            std::string::npos)
      << verified.failure().reason;
}

// §9: what the answer holds, byte for byte where a client must agree.
class CaAnswer : public ::testing::Test {
 protected:
  Bytes answer_about(const ca::CaMaterial& authority, X509* certificate, const Bytes& nonce) {
    return crypto::build_ocsp_response(
        {authority.certificate.get(), authority.key.get()}, X509_get_serialNumber(certificate), crypto::StatusAnswer{},
        ByteView(nonce), std::chrono::seconds(3600), std::time(nullptr), crypto::SignerCertificate::omitted);
  }
  static ossl::OcspBasicResponse basic_of(const Bytes& der) {
    const unsigned char* cursor = der.data();
    ossl::OcspResponse response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
    return ossl::OcspBasicResponse(OCSP_response_get1_basic(response.get()));
  }
};

TEST_F(CaAnswer, AnRsaCaSignsWithPkcs1V15AndSha256) {
  auto basic = basic_of(answer_about(test_pki().ca, test_pki().server_certificate.get(), Bytes(32, 7)));
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, OCSP_resp_get0_tbs_sigalg(basic.get()));
  EXPECT_EQ(OBJ_obj2nid(oid), NID_sha256WithRSAEncryption);
}

TEST_F(CaAnswer, TheNonceIsAnOctetStringInsideTheExtensionValue) {
  Bytes nonce(32, 0xAB);
  auto basic = basic_of(answer_about(test_pki().ca, test_pki().server_certificate.get(), nonce));
  int at = OCSP_BASICRESP_get_ext_by_NID(basic.get(), NID_id_pkix_OCSP_Nonce, -1);
  ASSERT_GE(at, 0);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(OCSP_BASICRESP_get_ext(basic.get(), at));
  // extnValue = OCTET STRING { OCTET STRING nonce } (RFC 8954 §2.1): 04 20 ab…ab inside.
  Bytes inner(ASN1_STRING_get0_data(value), ASN1_STRING_get0_data(value) + ASN1_STRING_length(value));
  Bytes expected(2 + nonce.size(), 0xAB);
  expected[0] = 0x04;  // OCTET STRING
  expected[1] = 0x20;  // of 32 bytes
  EXPECT_EQ(inner, expected);
}

TEST_F(CaAnswer, TheCertIdHashesIssuerNameAndKeyWithSha1) {
  auto basic = basic_of(answer_about(test_pki().ca, test_pki().server_certificate.get(), Bytes(32, 1)));
  ASSERT_EQ(OCSP_resp_count(basic.get()), 1);
  const OCSP_CERTID* id = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(basic.get(), 0));
  ASN1_OBJECT* hash = nullptr;
  OCSP_id_get0_info(nullptr, &hash, nullptr, nullptr, const_cast<OCSP_CERTID*>(id));
  EXPECT_EQ(OBJ_obj2nid(hash), NID_sha1);
  ossl::OcspCertId expected(OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(test_pki().ca.certificate.get()),
                                             X509_get0_pubkey_bitstr(test_pki().ca.certificate.get()),
                                             X509_get_serialNumber(test_pki().server_certificate.get())));
  EXPECT_EQ(OCSP_id_cmp(expected.get(), const_cast<OCSP_CERTID*>(id)), 0);
}

// tlslab-ca revoke --serial: any hex spelling of the same number.
TEST(SerialSpelling, EveryHexSpellingOfOneSerialIsTheSame) {
  std::string canonical = ca::Database::normalize_serial("5efb0a");
  for (const char* spelling : {"5EFB0A", "0x5efb0a", "5e:fb:0a", "00:5E:FB:0A", "005efb0a", "serial=5EFB0A"}) {
    EXPECT_EQ(ca::Database::normalize_serial(spelling), canonical) << spelling;
  }
  EXPECT_EQ(ca::Database::normalize_serial("0a"), "0a");
  EXPECT_EQ(ca::Database::normalize_serial("a"), "0a") << "whole bytes, as serial_hex writes them";
  EXPECT_EQ(ca::Database::normalize_serial("xyz"), "");
}

// §7.5: no padding after the inner type; the byte before the tag is the type itself.
TEST(RecordRules, TheInnerPlaintextHasNoPadding) {
  crypto::DirectionKeys keys{Secret(Bytes(16, 1)), Secret(Bytes(12, 2))};
  crypto::DirectionKeys same{Secret(Bytes(16, 1)), Secret(Bytes(12, 2))};
  crypto::RecordProtection writer(Aead::aes_128_gcm, std::move(keys));
  crypto::RecordProtection reader(Aead::aes_128_gcm, std::move(same));
  Bytes frame;
  writer.seal(InnerType::application_data, as_bytes("hi"), frame);
  EXPECT_EQ(frame.size(), frame_header_size + 2 + 1 + aead_tag_size);
  auto header = FrameHeader::decode(ByteView(frame).first(frame_header_size)).take();
  auto opened = reader.open(header, std::span(frame).subspan(frame_header_size));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->type, InnerType::application_data);
}

// §7.5 and §2: a protected frame's header is checked as §2 says before anything is decrypted; a
// change there that §2 lets through fails the AEAD (the header is the associated data).
class ProtectedHeader : public ::testing::Test {
 protected:
  // What a reader with the keys says of the sealed frame with `tamper` applied.
  std::optional<AlertDescription> read(const std::function<void(Bytes&)>& tamper) {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket sender(io);
    sender.connect(acceptor.local_endpoint());
    net::Channel reader(acceptor.accept(), net::Timeouts{std::chrono::seconds(2), std::chrono::seconds(2)});
    reader.protect_reads(Aead::aes_128_gcm, {Secret(Bytes(16, 1)), Secret(Bytes(12, 2))});
    crypto::RecordProtection writer(Aead::aes_128_gcm, {Secret(Bytes(16, 1)), Secret(Bytes(12, 2))});
    Bytes frame;
    writer.seal(InnerType::application_data, Bytes(40, 'x'), frame);
    tamper(frame);
    asio::write(sender, asio::buffer(frame));
    sender.shutdown(tcp::socket::shutdown_send);
    std::optional<AlertDescription> alert;
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
          try {
            co_await reader.read_application_data();
          } catch (const ProtocolError& error) {
            alert = error.alert();
          }
        },
        [](std::exception_ptr failure) {
          if (failure) std::rethrow_exception(failure);
        });
    io.run();
    return alert;
  }
};

TEST_F(ProtectedHeader, AnotherVersionIsProtocolVersionBeforeDecryption) {
  EXPECT_EQ(read([](Bytes& frame) { frame[2] = 0x01; }), AlertDescription::protocol_version);
}

TEST_F(ProtectedHeader, AnotherTypeIsUnexpectedMessage) {
  EXPECT_EQ(read([](Bytes& frame) { frame[0] = 22; }), AlertDescription::unexpected_message);
  EXPECT_EQ(read([](Bytes& frame) { frame[0] = 99; }), AlertDescription::unexpected_message);
}

TEST_F(ProtectedHeader, ALengthOverTheLimitIsRecordOverflow) {
  EXPECT_EQ(read([](Bytes& frame) { frame[3] = 0x50; }), AlertDescription::record_overflow);
}

TEST_F(ProtectedHeader, AShorterLengthFailsTheAead) {
  EXPECT_EQ(read([](Bytes& frame) { --frame[4]; }), AlertDescription::bad_record_mac);
}

}  // namespace
}  // namespace tlslab
