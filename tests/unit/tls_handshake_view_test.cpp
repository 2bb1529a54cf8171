// The display parser of TLS handshake messages libssl makes (tls/handshake_view.hpp,
// tls/record_view.hpp): real messages recorded from `openssl s_client -msg` against
// `openssl s_server` (tests/unit/data/tls/, capture.py) are read with every byte in exactly one
// field and the facts openssl used; every malformation is one line naming the field; truncations
// and single-byte mutations never crash.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tlslab/tls/handshake_view.hpp"
#include "tlslab/tls/record_view.hpp"

#ifndef TLSLAB_TLS_VECTORS_DIR
#error "TLSLAB_TLS_VECTORS_DIR must name tests/unit/data/tls (set by tests/unit/CMakeLists.txt)"
#endif

namespace tlslab::tls {
namespace {

struct Recorded {
  std::string kind;       // handshake, record_header, alert, change_cipher_spec
  std::string direction;  // client, server
  std::string name;       // openssl's name of a handshake message
  Bytes bytes;
};

struct Capture {
  std::map<std::string, Bytes> facts;
  std::vector<Recorded> messages;

  [[nodiscard]] std::vector<Recorded> handshakes(std::string_view name, std::string_view direction = {}) const {
    std::vector<Recorded> out;
    for (const auto& message : messages) {
      if (message.kind == "handshake" && message.name == name && (direction.empty() || message.direction == direction))
        out.push_back(message);
    }
    return out;
  }
};

Capture load(const std::string& name) {
  std::ifstream in(std::string(TLSLAB_TLS_VECTORS_DIR) + "/" + name + ".txt");
  EXPECT_TRUE(in) << "cannot read " << name;
  Capture capture;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string kind, first, second, third;
    words >> kind >> first >> second >> third;
    if (kind == "fact") {
      capture.facts[first] = from_hex(second).value();
    } else if (kind == "handshake") {
      capture.messages.push_back({kind, first, second, from_hex(third).value()});
    } else {
      capture.messages.push_back({kind, first, "", from_hex(second).value()});
    }
  }
  return capture;
}

const std::vector<std::string>& capture_names() {
  static const std::vector<std::string> names = {"tls12_rsa",         "tls12_ecdhe_rsa_mutual_status",
                                                 "tls12_ecdhe_ecdsa", "tls12_dhe_rsa",
                                                 "tls13_status",      "tls13_mutual_hrr"};
  return names;
}

// Each handshake message of a capture, with the context a reader of the whole connection has when
// it reaches that message (the version and key exchange the ServerHello chose).
struct Viewed {
  Recorded message;
  ViewContext context;
  HandshakeView view;
};

std::vector<Viewed> view_all(const Capture& capture) {
  std::vector<Viewed> out;
  ViewContext context{tls12, KeyExchange::none};
  for (const auto& message : capture.messages) {
    if (message.kind != "handshake") continue;
    auto view = view_handshake(message.bytes, context);
    EXPECT_TRUE(view.ok()) << message.name << ": " << (view.ok() ? "" : view.failure().reason);
    if (!view.ok()) continue;
    if (view->kind == HandshakeKind::server_hello && view->name == "ServerHello") {
      context.version = view->selected_version.value_or(tls12);
      context.key_exchange = key_exchange_of(view->cipher_suite.value_or(0));
    }
    out.push_back({message, context, std::move(view).value()});
  }
  return out;
}

std::string problem_of(const HandshakeView& view, std::size_t size) {
  std::string problem;
  return covers_exactly(view.spans, size, &problem) ? std::string() : problem;
}

const HandshakeView& first(const std::vector<Viewed>& viewed, std::string_view name, std::string_view direction = {}) {
  for (const auto& v : viewed) {
    if (v.view.name == name && (direction.empty() || v.message.direction == direction)) return v.view;
  }
  static const HandshakeView none;
  ADD_FAILURE() << "no " << name << " from " << direction;
  return none;
}

bool has_extension(const HandshakeView& view, std::uint16_t type) {
  for (const auto& extension : view.extensions) {
    if (extension.type == type) return true;
  }
  return false;
}

// --- real messages -------------------------------------------------------------------------

TEST(TlsHandshakeView, EveryRealMessageIsReadWithEveryByteInExactlyOneField) {
  std::size_t messages = 0;
  for (const auto& name : capture_names()) {
    Capture capture = load(name);
    for (const auto& v : view_all(capture)) {
      ++messages;
      EXPECT_EQ(problem_of(v.view, v.message.bytes.size()), "") << name << " " << v.message.name;
      // openssl -msg names a HelloRetryRequest "ServerHello": its msg_type is server_hello.
      std::string expected = v.view.name == "HelloRetryRequest" ? "ServerHello" : v.view.name;
      EXPECT_EQ(expected, v.message.name) << name;
      ASSERT_EQ(v.view.spans.size(), 1u);
      EXPECT_EQ(v.view.spans[0].field, v.view.name);
      EXPECT_EQ(field_path_at(v.view.spans, 0), v.view.name + "/msg_type");
      EXPECT_EQ(field_path_at(v.view.spans, 1), v.view.name + "/length");
    }
  }
  EXPECT_GE(messages, 50u);
}

TEST(TlsHandshakeView, Tls12RsaShowsTheOfferedAndChosenSuiteTheCertificateAndTheEncryptedPreMaster) {
  Capture capture = load("tls12_rsa");
  auto viewed = view_all(capture);
  const auto& hello = first(viewed, "ClientHello");
  EXPECT_EQ(hello.random, capture.facts.at("client_random"));
  EXPECT_EQ(hello.cipher_suites, (std::vector<std::uint16_t>{0x009c, 0x00ff}));
  EXPECT_EQ(hello.server_name, "localhost");
  EXPECT_EQ(field_path_at(hello.spans, 4), "ClientHello/legacy_version");
  EXPECT_EQ(field_path_at(hello.spans, 6), "ClientHello/random");
  const auto& server_hello = first(viewed, "ServerHello");
  EXPECT_EQ(server_hello.cipher_suite, 0x009c);
  EXPECT_EQ(cipher_suite_name(*server_hello.cipher_suite), "TLS_RSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(server_hello.selected_version, tls12);
  ASSERT_TRUE(server_hello.random.has_value());
  EXPECT_EQ(server_hello.random->size(), 32u);
  EXPECT_EQ(key_exchange_of(*server_hello.cipher_suite), KeyExchange::rsa);
  const auto& certificate = first(viewed, "Certificate");
  ASSERT_EQ(certificate.certificates.size(), 1u);
  EXPECT_EQ(certificate.certificates[0], capture.facts.at("server_certificate"));
  const auto& key_exchange = first(viewed, "ClientKeyExchange");
  ASSERT_TRUE(key_exchange.encrypted_pre_master.has_value());
  EXPECT_EQ(key_exchange.encrypted_pre_master->size(), 256u);  // RSA 2048
  EXPECT_EQ(field_path_at(key_exchange.spans, 6), "ClientKeyExchange/encrypted_pre_master_secret");
  for (const auto& v : viewed) {
    if (v.view.kind == HandshakeKind::finished) {
      ASSERT_TRUE(v.view.verify_data.has_value());
      EXPECT_EQ(v.view.verify_data->size(), 12u);
    }
  }
}

TEST(TlsHandshakeView, Tls12EcdheRsaShowsTheStapleTheCurveTheClientCertificateAndItsSignature) {
  Capture capture = load("tls12_ecdhe_rsa_mutual_status");
  auto viewed = view_all(capture);
  const auto& hello = first(viewed, "ClientHello");
  EXPECT_EQ(hello.random, capture.facts.at("client_random"));
  EXPECT_TRUE(hello.status_request);
  EXPECT_TRUE(has_extension(hello, 5));
  EXPECT_FALSE(hello.supported_groups.empty());
  EXPECT_EQ(first(viewed, "ServerHello").cipher_suite, 0xc02f);
  EXPECT_EQ(cipher_suite_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  // The chain: the server's certificate, then the CA's (s_server -CAfile sends it along).
  const auto& chain = first(viewed, "Certificate", "server").certificates;
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0], capture.facts.at("server_certificate"));
  EXPECT_EQ(first(viewed, "CertificateStatus").ocsp_response, capture.facts.at("ocsp_response"));
  const auto& key_exchange = first(viewed, "ServerKeyExchange");
  EXPECT_EQ(key_exchange.ecdhe_group, 0x001d);
  EXPECT_EQ(group_name(0x001d), "x25519");
  ASSERT_TRUE(key_exchange.public_key.has_value());
  EXPECT_EQ(key_exchange.public_key->size(), 32u);
  ASSERT_TRUE(key_exchange.signature_scheme.has_value());
  EXPECT_EQ(field_path_at(key_exchange.spans, 4), "ServerKeyExchange/signed_params/curve_type");
  const auto& request = first(viewed, "CertificateRequest");
  EXPECT_FALSE(request.signature_algorithms.empty());
  EXPECT_EQ(first(viewed, "Certificate", "client").certificates.at(0), capture.facts.at("client_certificate"));
  const auto& verify = first(viewed, "CertificateVerify", "client");
  EXPECT_EQ(verify.signature_scheme, 0x0403);  // the client's key is P-256
  EXPECT_EQ(signature_scheme_name(0x0403), "ecdsa_secp256r1_sha256");
  EXPECT_EQ(first(viewed, "ClientKeyExchange").public_key->size(), 32u);
}

TEST(TlsHandshakeView, Tls12EcdheEcdsaShowsTheP384ShareSignedWithEcdsa) {
  Capture capture = load("tls12_ecdhe_ecdsa");
  auto viewed = view_all(capture);
  EXPECT_EQ(first(viewed, "ClientHello").random, capture.facts.at("client_random"));
  EXPECT_EQ(first(viewed, "ClientHello").supported_groups, (std::vector<std::uint16_t>{0x0018, 0x0017}));
  EXPECT_EQ(first(viewed, "ServerHello").cipher_suite, 0xc02c);
  EXPECT_EQ(cipher_suite_name(0xc02c), "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
  EXPECT_EQ(first(viewed, "Certificate").certificates.at(0), capture.facts.at("server_certificate"));
  const auto& key_exchange = first(viewed, "ServerKeyExchange");
  EXPECT_EQ(key_exchange.ecdhe_group, 0x0018);
  EXPECT_EQ(key_exchange.public_key->size(), 97u);  // uncompressed P-384 point
  EXPECT_EQ(key_exchange.signature_scheme, 0x0403);
  EXPECT_EQ(first(viewed, "ClientKeyExchange").public_key->size(), 97u);
}

TEST(TlsHandshakeView, Tls12DheShowsTheGroupParametersAndBothShares) {
  Capture capture = load("tls12_dhe_rsa");
  auto viewed = view_all(capture);
  EXPECT_EQ(first(viewed, "ClientHello").random, capture.facts.at("client_random"));
  EXPECT_EQ(first(viewed, "ServerHello").cipher_suite, 0x009e);
  EXPECT_EQ(key_exchange_of(0x009e), KeyExchange::dhe);
  const auto& key_exchange = first(viewed, "ServerKeyExchange");
  EXPECT_EQ(field_path_at(key_exchange.spans, 6), "ServerKeyExchange/signed_params/dh_p");
  ASSERT_TRUE(key_exchange.public_key.has_value());
  EXPECT_EQ(key_exchange.public_key->size(), 256u);  // ffdhe2048-sized Ys
  EXPECT_FALSE(key_exchange.ecdhe_group.has_value());
  EXPECT_TRUE(key_exchange.signature_scheme.has_value());
  ASSERT_TRUE(first(viewed, "ClientKeyExchange").public_key.has_value());
  EXPECT_EQ(first(viewed, "ClientKeyExchange").public_key->size(), 256u);
}

TEST(TlsHandshakeView, Tls13ShowsTheKeyShareTheVersionTheStapleInTheCertificateEntry) {
  Capture capture = load("tls13_status");
  auto viewed = view_all(capture);
  const auto& hello = first(viewed, "ClientHello");
  EXPECT_EQ(hello.random, capture.facts.at("client_random"));
  EXPECT_EQ(hello.server_name, "localhost");
  EXPECT_TRUE(hello.status_request);
  EXPECT_EQ(hello.supported_versions, (std::vector<std::uint16_t>{tls13}));
  EXPECT_EQ(hello.key_share_groups, (std::vector<std::uint16_t>{0x001d}));
  EXPECT_EQ(hello.cipher_suites.at(0), 0x1302);
  EXPECT_EQ(cipher_suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
  const auto& server_hello = first(viewed, "ServerHello");
  EXPECT_EQ(server_hello.selected_version, tls13);
  EXPECT_EQ(server_hello.legacy_version, tls12);
  EXPECT_EQ(server_hello.key_share_groups, (std::vector<std::uint16_t>{0x001d}));
  EXPECT_EQ(server_hello.cipher_suite, 0x1302);
  EXPECT_TRUE(has_extension(server_hello, 51));
  EXPECT_EQ(first(viewed, "EncryptedExtensions").extensions.size(), 0u);
  const auto& certificate = first(viewed, "Certificate");
  EXPECT_EQ(certificate.certificates, (std::vector<Bytes>{capture.facts.at("server_certificate")}));
  EXPECT_EQ(certificate.ocsp_response, capture.facts.at("ocsp_response"));
  EXPECT_EQ(field_path_at(certificate.spans, 4), "Certificate/certificate_request_context.length");
  EXPECT_EQ(first(viewed, "CertificateVerify").signature_scheme, 0x0804);  // rsa_pss_rsae_sha256
  EXPECT_EQ(first(viewed, "Finished").verify_data->size(), 48u);           // SHA-384
  EXPECT_EQ(first(viewed, "NewSessionTicket").kind, HandshakeKind::new_session_ticket);
  // s_client's "k": a KeyUpdate without asking the server for one.
  const auto& key_update = first(viewed, "KeyUpdate", "client");
  EXPECT_EQ(key_update.kind, HandshakeKind::key_update);
  EXPECT_EQ(field_path_at(key_update.spans, 4), "KeyUpdate/request_update");
}

TEST(TlsHandshakeView, Tls13HelloRetryRequestAndClientAuthentication) {
  Capture capture = load("tls13_mutual_hrr");
  auto viewed = view_all(capture);
  const auto& hello = first(viewed, "ClientHello");
  EXPECT_EQ(hello.random, capture.facts.at("client_random"));
  EXPECT_EQ(hello.key_share_groups, (std::vector<std::uint16_t>{0x001d}));
  const auto& retry = first(viewed, "HelloRetryRequest");
  EXPECT_EQ(retry.kind, HandshakeKind::server_hello);
  EXPECT_EQ(retry.key_share_groups, (std::vector<std::uint16_t>{0x0018}));
  EXPECT_EQ(retry.selected_version, tls13);
  // The second ClientHello: the same random, now with a secp384r1 share.
  std::vector<const HandshakeView*> hellos;
  for (const auto& v : viewed) {
    if (v.view.kind == HandshakeKind::client_hello) hellos.push_back(&v.view);
  }
  ASSERT_EQ(hellos.size(), 2u);
  EXPECT_EQ(hellos[1]->random, capture.facts.at("client_random"));
  EXPECT_EQ(hellos[1]->key_share_groups, (std::vector<std::uint16_t>{0x0018}));
  EXPECT_EQ(hellos[1]->supported_versions, (std::vector<std::uint16_t>{tls13}));
  EXPECT_EQ(first(viewed, "ServerHello").key_share_groups, (std::vector<std::uint16_t>{0x0018}));
  EXPECT_EQ(first(viewed, "ServerHello").cipher_suite, 0x1302);
  const auto& request = first(viewed, "CertificateRequest");
  EXPECT_FALSE(request.signature_algorithms.empty());
  EXPECT_EQ(first(viewed, "Certificate", "server").certificates.at(0), capture.facts.at("server_certificate"));
  EXPECT_EQ(first(viewed, "Certificate", "client").certificates.at(0), capture.facts.at("client_certificate"));
  EXPECT_EQ(first(viewed, "CertificateVerify", "client").signature_scheme, 0x0403);
  EXPECT_EQ(first(viewed, "Finished", "client").verify_data->size(), 48u);
}

TEST(TlsHandshakeView, RealRecordHeadersAlertsAndChangeCipherSpecs) {
  std::size_t headers = 0, alerts = 0, change_cipher_specs = 0;
  for (const auto& name : capture_names()) {
    for (const auto& message : load(name).messages) {
      std::string problem;
      if (message.kind == "record_header") {
        auto view = view_record_header(message.bytes);
        ASSERT_TRUE(view.ok()) << view.failure().reason;
        EXPECT_TRUE(covers_exactly(view->spans, 5, &problem)) << problem;
        ++headers;
      } else if (message.kind == "alert") {
        auto view = view_alert(message.bytes);
        ASSERT_TRUE(view.ok()) << view.failure().reason;
        EXPECT_EQ(view->level, 1);  // the client's close_notify
        EXPECT_EQ(alert_description_name(view->description), "close_notify");
        EXPECT_TRUE(covers_exactly(view->spans, 2, &problem)) << problem;
        ++alerts;
      } else if (message.kind == "change_cipher_spec") {
        auto view = view_change_cipher_spec(message.bytes);
        ASSERT_TRUE(view.ok()) << view.failure().reason;
        EXPECT_TRUE(covers_exactly(view->spans, 1, &problem)) << problem;
        ++change_cipher_specs;
      }
    }
  }
  EXPECT_GE(headers, 50u);
  EXPECT_EQ(alerts, capture_names().size());
  EXPECT_GE(change_cipher_specs, 4u);
}

TEST(TlsHandshakeView, AWholeRecordIsItsHeaderThenItsFragment) {
  Capture capture = load("tls12_rsa");
  Bytes record = capture.messages.at(0).bytes;  // the ClientHello's record header
  const Bytes& hello = capture.messages.at(1).bytes;
  append(record, hello);
  auto view = view_record(record);
  ASSERT_TRUE(view.ok()) << view.failure().reason;
  EXPECT_EQ(view->content_type, 22);
  EXPECT_EQ(view->legacy_record_version, 0x0301);
  EXPECT_EQ(view->length, hello.size());
  std::string problem;
  EXPECT_TRUE(covers_exactly(view->spans, record.size(), &problem)) << problem;
  EXPECT_EQ(field_path_at(view->spans, 0), "header/type");
  EXPECT_EQ(field_path_at(view->spans, 5), "fragment");
  EXPECT_EQ(content_type_name(22), "handshake");
}

// --- names -----------------------------------------------------------------------------------

TEST(TlsNames, KnownCodePointsByTheirIanaNamesAndUnknownOnesInHex) {
  EXPECT_EQ(cipher_suite_name(0x1303), "TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(cipher_suite_name(0xcca9), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(cipher_suite_name(0x1234), "0x1234");
  EXPECT_EQ(group_name(0x11ec), "X25519MLKEM768");
  EXPECT_EQ(group_name(0x6399), "X25519Kyber768Draft00");
  EXPECT_EQ(group_name(0x0100), "ffdhe2048");
  EXPECT_EQ(group_name(0x0042), "0x0042");
  EXPECT_EQ(signature_scheme_name(0x0807), "ed25519");
  EXPECT_EQ(extension_name(51), "key_share");
  EXPECT_EQ(extension_name(5), "status_request");
  EXPECT_EQ(extension_name(0x0a0a), "GREASE");
  EXPECT_EQ(alert_description_name(116), "certificate_required");
  EXPECT_EQ(alert_description_name(200), "0xc8");
  EXPECT_EQ(version_name(tls13), "TLS 1.3");
  EXPECT_EQ(to_string(HandshakeKind::encrypted_extensions), "EncryptedExtensions");
  EXPECT_EQ(key_exchange_of(0xc02b), KeyExchange::ecdhe);
  EXPECT_EQ(key_exchange_of(0x009f), KeyExchange::dhe);
  EXPECT_EQ(key_exchange_of(0x1301), KeyExchange::none);
}

// --- rejections ------------------------------------------------------------------------------

Bytes message_of(std::uint8_t type, const Bytes& body) {
  Bytes out{type, static_cast<std::uint8_t>(body.size() >> 16), static_cast<std::uint8_t>(body.size() >> 8),
            static_cast<std::uint8_t>(body.size())};
  append(out, body);
  return out;
}

std::string reason_of(ByteView message, ViewContext context = {}) {
  auto view = view_handshake(message, context);
  return view.ok() ? std::string("(accepted)") : view.failure().reason;
}

Bytes server_hello_body(std::size_t session_id_length) {
  Bytes body{0x03, 0x03};
  body.insert(body.end(), 32, 0x11);
  body.push_back(static_cast<std::uint8_t>(session_id_length));
  body.insert(body.end(), session_id_length, 0x22);
  return body;
}

Bytes client_hello_with(const Bytes& cipher_suites, const Bytes& extensions) {
  Bytes body = server_hello_body(0);
  body.push_back(static_cast<std::uint8_t>(cipher_suites.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(cipher_suites.size()));
  append(body, cipher_suites);
  append(body, Bytes{0x01, 0x00});  // compression: null
  body.push_back(static_cast<std::uint8_t>(extensions.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(extensions.size()));
  append(body, extensions);
  return message_of(1, body);
}

TEST(TlsHandshakeViewRejects, AFieldCutShortNamingTheFieldAndTheBytesLeft) {
  Bytes body = server_hello_body(0);
  body.push_back(0x13);  // one byte of cipher_suite
  EXPECT_EQ(reason_of(message_of(2, body)), "ServerHello: cipher_suite: 1 byte left where 2 are needed");
}

TEST(TlsHandshakeViewRejects, TrailingBytesAfterTheLastField) {
  EXPECT_EQ(reason_of(message_of(14, Bytes{0x00})), "ServerHelloDone: 1 trailing byte after the last field");
  Bytes hello = client_hello_with(Bytes{0x13, 0x01}, Bytes{});
  hello.push_back(0);
  EXPECT_EQ(reason_of(hello), "ClientHello: length: says 43 bytes, 44 follow");
}

TEST(TlsHandshakeViewRejects, ALengthPastTheEnd) {
  Bytes hello = message_of(1, server_hello_body(0));
  hello.insert(hello.end(), {0x00, 0x64, 0x13, 0x01});
  hello[3] = static_cast<std::uint8_t>(hello[3] + 4);
  EXPECT_EQ(reason_of(hello), "ClientHello: cipher_suites: length says 100 bytes, 2 left");
  Bytes cut = message_of(20, Bytes(12, 7));
  cut.pop_back();
  EXPECT_EQ(reason_of(cut), "Finished: length: says 12 bytes, 11 follow");
  EXPECT_EQ(reason_of(message_of(20, Bytes(11, 7)), {tls12, KeyExchange::rsa}),
            "Finished: verify_data: 11 bytes, where TLS 1.2 has 12");
  EXPECT_EQ(reason_of(message_of(20, Bytes(12, 7)), {tls13, KeyExchange::none}),
            "Finished: verify_data: 12 bytes, where TLS 1.3 has 32 (SHA-256) or 48 (SHA-384)");
}

TEST(TlsHandshakeViewRejects, AnOddLengthCipherSuites) {
  EXPECT_EQ(reason_of(client_hello_with(Bytes{0x13, 0x01, 0x13}, Bytes{})),
            "ClientHello: cipher_suites: 3 bytes, not a whole number of 2-byte cipher_suite");
}

TEST(TlsHandshakeViewRejects, AVectorOverItsLimit) {
  EXPECT_EQ(reason_of(message_of(2, server_hello_body(33))),
            "ServerHello: legacy_session_id: 33 bytes, more than the 32 allowed");
}

TEST(TlsHandshakeViewRejects, AZeroLengthCertificateInTheList) {
  // TLS 1.2: certificate_list of one ASN.1Cert of 0 bytes.
  Bytes tls12_list{0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
  EXPECT_EQ(reason_of(message_of(11, tls12_list), {tls12, KeyExchange::rsa}),
            "Certificate: certificate_list/certificate_entry/cert_data: 0 bytes, fewer than the 1 required");
  // TLS 1.3: an empty context, one CertificateEntry of 0 bytes and no extensions.
  Bytes tls13_list{0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(reason_of(message_of(11, tls13_list), {tls13, KeyExchange::none}),
            "Certificate: certificate_list/certificate_entry/cert_data: 0 bytes, fewer than the 1 required");
}

TEST(TlsHandshakeViewRejects, AnExtensionRepeated) {
  Bytes twice{0x00, 0x17, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00};  // extended_master_secret twice
  auto view = view_handshake(client_hello_with(Bytes{0x13, 0x01}, twice), {});
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.failure().reason, "ClientHello: extensions: extended_master_secret (23) appears twice");
  EXPECT_EQ(view.failure().alert, AlertDescription::illegal_parameter);
}

TEST(TlsHandshakeViewRejects, AMessageLongerThanTheDisplayCapOrThanTwoToThe24) {
  Bytes big = message_of(11, Bytes(max_viewed_message, 0));
  EXPECT_EQ(reason_of(big), "Certificate: 262148 bytes, more than the 262144 shown");
  Bytes huge(4 + (std::size_t{1} << 24), 0);
  huge[0] = 11;
  huge[1] = huge[2] = huge[3] = 0xff;
  EXPECT_EQ(reason_of(huge), "Certificate: 16777220 bytes, longer than a handshake message can be (4 + 2^24-1)");
}

TEST(TlsHandshakeViewRejects, AnUnknownMessageTypeAndAnEmptyInput) {
  EXPECT_EQ(reason_of(message_of(99, Bytes{})), "handshake: msg_type: 99 is not a handshake message type");
  EXPECT_EQ(reason_of(Bytes{}), "handshake: msg_type: 0 bytes left where 1 are needed");
  EXPECT_EQ(reason_of(Bytes{0x02, 0x00}), "ServerHello: length: 1 byte left where 3 are needed");
}

TEST(TlsHandshakeViewRejects, ExtensionBodiesThatDoNotMatchTheirLayout) {
  // supported_versions in a ClientHello: an odd list.
  Bytes odd_versions{0x00, 0x2b, 0x00, 0x04, 0x03, 0x03, 0x04, 0x03};
  EXPECT_EQ(reason_of(client_hello_with(Bytes{0x13, 0x01}, odd_versions)),
            "ClientHello: extensions/supported_versions/versions: 3 bytes, not a whole number of 2-byte version");
  // key_share whose entry says 9 bytes of key_exchange where 1 follows.
  Bytes short_share{0x00, 0x33, 0x00, 0x07, 0x00, 0x05, 0x00, 0x1d, 0x00, 0x09, 0xaa};
  EXPECT_EQ(reason_of(client_hello_with(Bytes{0x13, 0x01}, short_share)),
            "ClientHello: extensions/key_share/client_shares/key_share_entry/key_exchange: length says 9 bytes, 1 "
            "left");
}

TEST(TlsRecordViewRejects, EveryMalformationInOneLine) {
  auto header_reason = [](const Bytes& bytes) {
    auto view = view_record_header(bytes);
    return view.ok() ? std::string("(accepted)") : view.failure().reason;
  };
  EXPECT_EQ(header_reason(Bytes{0x17, 0x03, 0x03, 0x41, 0x01}),
            "record: length: 16641 bytes, more than the 16640 allowed (2^14+256)");
  EXPECT_EQ(header_reason(Bytes{0x63, 0x03, 0x03, 0x00, 0x01}), "record: type: 99 is not a content type");
  EXPECT_EQ(header_reason(Bytes{0x16, 0x03}), "record: legacy_record_version: 1 byte left where 2 are needed");
  auto record = view_record(Bytes{0x16, 0x03, 0x03, 0x00, 0x02, 0x01});
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(record.failure().reason, "record: fragment: length says 2 bytes, 1 left");
  auto empty = view_record(Bytes{0x16, 0x03, 0x03, 0x00, 0x00});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.failure().reason, "record: fragment: 0 bytes, fewer than the 1 required");
  auto alert = view_alert(Bytes{0x02});
  ASSERT_FALSE(alert.ok());
  EXPECT_EQ(alert.failure().reason, "Alert: description: 0 bytes left where 1 are needed");
  auto level = view_alert(Bytes{0x03, 0x28});
  ASSERT_FALSE(level.ok());
  EXPECT_EQ(level.failure().reason, "Alert: level: 3 is neither warning(1) nor fatal(2)");
  auto ccs = view_change_cipher_spec(Bytes{0x02});
  ASSERT_FALSE(ccs.ok());
  EXPECT_EQ(ccs.failure().reason, "ChangeCipherSpec: type: 2, where RFC 5246 §7.1 has only change_cipher_spec(1)");
  auto long_ccs = view_change_cipher_spec(Bytes{0x01, 0x01});
  ASSERT_FALSE(long_ccs.ok());
  EXPECT_EQ(long_ccs.failure().reason, "ChangeCipherSpec: 1 trailing byte after the last field");
}

// --- hostile bytes ---------------------------------------------------------------------------

TEST(TlsHandshakeViewRejects, EveryPrefixOfEveryRealMessage) {
  for (const auto& name : capture_names()) {
    for (const auto& v : view_all(load(name))) {
      const Bytes& bytes = v.message.bytes;
      for (std::size_t size = 0; size < bytes.size(); ++size) {
        auto view = view_handshake(ByteView(bytes).first(size), v.context);
        EXPECT_FALSE(view.ok()) << name << " " << v.message.name << " cut to " << size;
        if (!view.ok()) {
          EXPECT_EQ(view.failure().reason.find('\n'), std::string::npos);
        }
      }
    }
  }
}

// The body cut short with its length field telling the truth: the cut lands inside a field, and
// the failure names the message and the field. Only a cut where the rest is optional (a ClientHello
// or ServerHello without extensions) may be accepted, and then every byte is still in one field.
TEST(TlsHandshakeViewRejects, EveryBodyCutShortWithAMatchingLengthNamesAField) {
  std::size_t rejected = 0;
  for (const auto& name : capture_names()) {
    for (const auto& v : view_all(load(name))) {
      const Bytes& bytes = v.message.bytes;
      for (std::size_t size = 4; size < bytes.size(); ++size) {
        Bytes cut = message_of(bytes[0], Bytes(bytes.begin() + 4, bytes.begin() + static_cast<std::ptrdiff_t>(size)));
        auto view = view_handshake(cut, v.context);
        if (view.ok()) {
          // A 1.3 Finished of 48 bytes cut to 32 is one of SHA-256's size.
          bool sha256_finished = v.view.kind == HandshakeKind::finished && size - 4 == 32;
          EXPECT_TRUE(v.view.kind == HandshakeKind::client_hello || v.view.kind == HandshakeKind::server_hello ||
                      sha256_finished)
              << name << " " << v.message.name << " cut to " << size;
          EXPECT_EQ(problem_of(view.value(), cut.size()), "");
          continue;
        }
        ++rejected;
        const std::string& reason = view.failure().reason;
        // A HelloRetryRequest is a "ServerHello" until its random is read.
        EXPECT_EQ(reason.rfind(std::string(to_string(v.view.kind)) + ": ", 0) == 0 ||
                      reason.rfind(v.view.name + ": ", 0) == 0,
                  true)
            << reason;
        EXPECT_EQ(reason.find('\n'), std::string::npos) << reason;
      }
    }
  }
  EXPECT_GT(rejected, 10000u);
}

TEST(TlsHandshakeViewRejects, SingleByteMutationsNeverCrashAndWhatIsReadIsCovered) {
  std::size_t accepted = 0, rejected = 0;
  for (const auto& name : capture_names()) {
    for (const auto& v : view_all(load(name))) {
      Bytes bytes = v.message.bytes;
      for (std::size_t at = 0; at < bytes.size(); ++at) {
        for (std::uint8_t flip : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
          bytes[at] = static_cast<std::uint8_t>(bytes[at] ^ flip);
          for (ViewContext context : {v.context, ViewContext{tls12, KeyExchange::rsa},
                                      ViewContext{tls12, KeyExchange::ecdhe}, ViewContext{tls13, KeyExchange::none}}) {
            auto view = view_handshake(bytes, context);
            if (view.ok()) {
              ++accepted;
              ASSERT_EQ(problem_of(view.value(), bytes.size()), "") << name << " " << v.message.name << " @" << at;
            } else {
              ++rejected;
              ASSERT_FALSE(view.failure().reason.empty());
            }
          }
          bytes[at] = static_cast<std::uint8_t>(bytes[at] ^ flip);
        }
      }
    }
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, 0u);
}

}  // namespace
}  // namespace tlslab::tls
