// tlslab-codec-examples: prints PROTOCOL.md §12, the hex examples of every frame and of the key
// schedule, from fixed inputs through the real codec and crypto. tests/tools/spec_examples_test
// reads them back from PROTOCOL.md and decodes each one, so the spec and the code cannot drift.
#include <cstdio>
#include <string>

#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/record.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/frame.hpp"
#include "tlslab/messages.hpp"

namespace {

using namespace tlslab;

Random counting_random(std::uint8_t start) {
  Random random{};
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<std::uint8_t>(start + i);
  return random;
}

// Header, then body, with a space between: the form §12 uses.
std::string frame_hex(ContentType type, ByteView fragment) {
  Bytes frame = encode_frame(type, fragment);
  return to_hex(ByteView(frame).first(frame_header_size)) + " " + to_hex(ByteView(frame).subspan(frame_header_size));
}

void example(const char* id, const char* title, const std::string& hex, const char* note) {
  std::printf("### %s\n\n%s\n\n```hex %s\n%s\n```\n\n", title, note, id, hex.c_str());
}

// The key schedule of `id` from a given PRE-MASTER, printed after `intro` as a test vector for
// independent implementations.
struct KeySchedule {
  Secret master_secret;
  crypto::KeyBlock keys;
};
KeySchedule key_schedule(const char* intro, CipherSuite id, const Secret& pre_master, const Random& client_random,
                         const Random& server_random) {
  auto suite = *suite_info(id);
  Secret master_secret = crypto::derive_master_secret(suite.hash, pre_master, client_random, server_random);
  crypto::KeyBlock keys = crypto::derive_key_block(suite, master_secret, client_random, server_random);
  std::printf("%s\n\n", intro);
  std::printf(
      "```text\npre_master       %s\nmaster_secret    %s\nclient_write_key %s\nserver_write_key %s\n"
      "client_write_iv  %s\nserver_write_iv  %s\n```\n\n",
      to_hex(pre_master.view()).c_str(), to_hex(master_secret.view()).c_str(),
      to_hex(keys.client_write.key.view()).c_str(), to_hex(keys.server_write.key.view()).c_str(),
      to_hex(keys.client_write.iv.view()).c_str(), to_hex(keys.server_write.iv.view()).c_str());
  return {std::move(master_secret), std::move(keys)};
}

// The ECDHE form of arrows 1, 2 and 5 (§7.6) and its key schedule, with the key pairs of RFC 7748
// §6.1 (Alice the client, Bob the server) so that the shared secret is the RFC's own.
void ecdhe_examples(const Random& client_random, const Random& server_random) {
  std::printf(
      "### ECDHE (§7.6): arrows 1, 2 and 5, and the key schedule\n\n"
      "The same RANDs; the ephemeral x25519 key pairs are Alice's (client) and Bob's (server) from\n"
      "RFC 7748 §6.1, so the PRE-MASTER below is the RFC's shared secret.\n\n");
  auto alice = crypto::EphemeralKey::from_private_key(
      NamedGroup::x25519, *from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  auto bob = crypto::EphemeralKey::from_private_key(
      NamedGroup::x25519, *from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));

  ClientHello hello;
  hello.random = client_random;
  hello.cipher_suites = {0x0B01, 0x0A01};
  hello.set_server_name("localhost");
  hello.set_key_share_groups(
      {static_cast<std::uint16_t>(NamedGroup::x25519), static_cast<std::uint16_t>(NamedGroup::secp256r1)});
  example("client_hello_ecdhe", "Arrow 1 (ECDHE): ClientHello",
          frame_hex(ContentType::handshake, encode_handshake(hello)),
          "suites 0B01 (TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256) and 0A01 · extensions: server_name, then "
          "key_share (type 0033) = groups (uint16 length 0004) 001d x25519, 0017 secp256r1.");

  ServerHello server_hello;
  server_hello.random = server_random;
  server_hello.cipher_suite = 0x0B01;
  server_hello.certificate = {0x30, 0x03, 0x02, 0x01, 0x01};
  server_hello.server_public_key = {0x30, 0x03, 0x02, 0x01, 0x02};
  ServerKeyShare share;
  share.group = static_cast<std::uint16_t>(NamedGroup::x25519);
  share.key_exchange = bob.public_key();
  share.scheme = 0x0804;             // rsa_pss_rsae_sha256
  share.signature = Bytes(8, 0x5e);  // stands in for the 256-byte RSA-PSS signature
  server_hello.set_key_share(share);
  example("server_hello_ecdhe", "Arrow 2 (ECDHE): ServerHello",
          frame_hex(ContentType::handshake, encode_handshake(server_hello)),
          "suite 0B01 · CERTIFICATE and SERVER'S PUBLIC KEY placeholders as above · extension key_share "
          "(0033): group 001d · key_exchange (uint8 length 20 = 32 bytes) = Bob's x25519 public key · scheme 0804 "
          "(rsa_pss_rsae_sha256) · signature (uint16 length; 8 bytes of 5e stand in for the 256-byte "
          "RSA-PSS signature over RAND-CLIENT ‖ RAND-SERVER ‖ 03 ‖ 001d ‖ 20 ‖ key_exchange, which is "
          "randomized and so cannot be a fixed example).");
  // What the certificate's key signs (§7.6), the one part of the key share that is not random.
  std::printf(
      "The signature is over exactly these 100 bytes: RAND-CLIENT (32) ‖ RAND-SERVER (32) ‖ 03 (named_curve) ‖\n"
      "group 001d ‖ uint8 length 20 ‖ Bob's key_exchange (32):\n\n```text\nkey_share_signed %s\n```\n\n",
      to_hex(key_share_signed_content(client_random, server_random, share.group, share.key_exchange)).c_str());

  ClientKeyShare client_share;
  client_share.key_exchange = alice.public_key();
  example("client_key_share", "Arrow 5 (ECDHE): ClientKeyShare",
          frame_hex(ContentType::handshake, encode_handshake(client_share)),
          "handshake type 16 (`10` in hex), the same as ClientKeyExchange · key_exchange (uint8 length 20 = 32 "
          "bytes) = Alice's x25519 public key.");

  Secret pre_master = bob.derive(alice.public_key()).value();
  key_schedule(
      "PRE-MASTER = X25519(Bob's private key, Alice's public key), 32 bytes; the rest of the schedule\n"
      "is the RSA suites' (§7.2):",
      CipherSuite::ecdhe_aes_128_gcm_sha256, pre_master, client_random, server_random);

  // secp256r1: the key pairs of RFC 5903 §8.1 (the initiator's i the client's, the responder's r the
  // server's), so the PRE-MASTER is the RFC's shared x-coordinate.
  std::printf(
      "### ECDHE with secp256r1 (§7.6): arrow 5 and the key schedule\n\n"
      "The same RANDs; the ephemeral P-256 key pairs are RFC 5903 §8.1's: the client's private key is\n"
      "`i` = c88f01f5…862d1433, the server's `r` = c6ef9c5d…476bee53, so the PRE-MASTER below is the\n"
      "RFC's shared x-coordinate. The ServerHello is the x25519 one's with group 0017 and the server's\n"
      "65-byte point as key_exchange.\n\n");
  auto client_p256 = crypto::EphemeralKey::from_private_key(
      NamedGroup::secp256r1, *from_hex("c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433"),
      *from_hex("04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
                "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3"));
  auto server_p256 = crypto::EphemeralKey::from_private_key(
      NamedGroup::secp256r1, *from_hex("c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53"),
      *from_hex("04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
                "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab"));
  ClientKeyShare p256_share;
  p256_share.key_exchange = client_p256.public_key();
  example("client_key_share_p256", "Arrow 5 (ECDHE, secp256r1): ClientKeyShare",
          frame_hex(ContentType::handshake, encode_handshake(p256_share)),
          "handshake type 16 · key_exchange (uint8 length 41 = 65 bytes) = the client's uncompressed point "
          "04 ‖ x ‖ y.");
  std::printf("The server's key_exchange in its ServerHello:\n\n```text\nserver_p256      %s\n```\n\n",
              to_hex(server_p256.public_key()).c_str());
  Secret p256_pre_master = server_p256.derive(client_p256.public_key()).value();
  key_schedule(
      "PRE-MASTER = the x-coordinate of r·(client's point), 32 bytes (as TLS, RFC 8422 §5.10); the suite is\n"
      "TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256 and the schedule the RSA suites' (§7.2):",
      CipherSuite::ecdhe_aes_128_gcm_sha256, p256_pre_master, client_random, server_random);
}

}  // namespace

// Resumption (§7.8): the hellos of a full handshake that keeps a ticket, the NewSessionTicket, and
// a resumed handshake from the master secret of the key schedule above with new randoms.
void resumption_examples(const ClientHello& hello, const ServerHello& server_hello, const Secret& master_secret) {
  std::printf(
      "### Resumption (§7.8): session tickets\n\n"
      "A full handshake by a client that can keep a ticket, then a resumed one. The master secret is the key\n"
      "schedule's above; the resumed handshake's randoms are new: RAND-CLIENT = 20..3f, RAND-SERVER = a0..bf.\n\n");
  ClientHello can_keep = hello;
  can_keep.offer_session_ticket({});
  example("client_hello_ticket_empty", "Arrow 1, full handshake, a client that can keep a ticket: ClientHello",
          frame_hex(ContentType::handshake, encode_handshake(can_keep)),
          "As arrow 1 above, with session_ticket (type 0023), extension_data (uint16 length 0002) = an empty ticket "
          "vector (uint16 length 0000): \"I can keep a ticket\".");
  ServerHello will_issue = server_hello;
  will_issue.set_ticket_mode(TicketMode::new_ticket);
  example("server_hello_new_ticket", "Arrow 2, full handshake, a ticket will follow: ServerHello",
          frame_hex(ContentType::handshake, encode_handshake(will_issue)),
          "As arrow 2 above, with session_ticket (type 0023), extension_data (uint16 length 0001) = ticket_mode 01 "
          "(new_ticket: a NewSessionTicket follows the server's Finished).");
  NewSessionTicket ticket{7200, Bytes(113, 0xe7)};
  std::printf(
      "### After arrow 7: NewSessionTicket (server), protected\n\n"
      "handshake type 04 · uint24 length · ticket_lifetime_hint (uint32, 00001c20 = 7200 s) · ticket (uint16 "
      "length\n0071 = 113 bytes, the size of tlslab-server's tickets; e7 bytes stand in for the sealed ticket, "
      "whose nonce is\nrandom). This is the inner plaintext's content: it travels in a protected frame (inner type "
      "handshake),\nthe server's next record after its Finished.\n\n```text\nnew_session_ticket %s\n```\n\n",
      to_hex(encode_handshake(ticket)).c_str());
  ClientHello offering = hello;
  offering.random = counting_random(0x20);
  offering.offer_session_ticket(ticket.ticket);
  example("client_hello_ticket", "Arrow 1, resumed handshake: ClientHello offering the ticket",
          frame_hex(ContentType::handshake, encode_handshake(offering)),
          "RAND-CLIENT 20..3f · suites as above · server_name · session_ticket (type 0023), extension_data (uint16 "
          "length 0073) = ticket (uint16 length 0071, the 113 bytes of the NewSessionTicket above).");
  ServerHello resumed;
  resumed.random = counting_random(0xa0);
  resumed.cipher_suite = 0x0A01;
  resumed.set_ticket_mode(TicketMode::resumed);
  example("server_hello_resumed", "Arrow 2, resumed handshake: ServerHello",
          frame_hex(ContentType::handshake, encode_handshake(resumed)),
          "version · RAND-SERVER a0..bf · suite 0A01 (the session's) · certificate `0000` and server_public_key "
          "`0000` (both empty: the resumed form) · session_ticket (type 0023), extension_data (uint16 length 0001) = "
          "ticket_mode 02 (resumed). Arrows 3, 4 and 5 do not follow.");
  auto suite = *suite_info(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  crypto::KeyBlock keys = crypto::derive_key_block(suite, master_secret, offering.random, resumed.random);
  Bytes transcript = encode_handshake(offering);
  append(transcript, encode_handshake(resumed));
  Bytes hash = crypto::digest(suite.hash, transcript);
  auto verify_data = crypto::compute_verify_data(suite.hash, master_secret, crypto::FinishedSender::client, hash);
  std::printf(
      "The resumed key block: §7.2's key expansion from the session's master_secret (above) and the new\n"
      "randoms; the client's Finished over Hash(ClientHello ‖ ServerHello) of the two messages above:\n\n"
      "```text\nresumed_client_write_key %s\nresumed_server_write_key %s\nresumed_client_write_iv  %s\n"
      "resumed_server_write_iv  %s\nresumed_transcript_hash  %s\nresumed_client_verify    %s\n```\n\n",
      to_hex(keys.client_write.key.view()).c_str(), to_hex(keys.server_write.key.view()).c_str(),
      to_hex(keys.client_write.iv.view()).c_str(), to_hex(keys.server_write.iv.view()).c_str(), to_hex(hash).c_str(),
      to_hex(verify_data).c_str());
}

int main() {
  const Random client_random = counting_random(0x00);  // RAND-CLIENT = 00 01 … 1f
  const Random server_random = counting_random(0x80);  // RAND-SERVER = 80 81 … 9f

  std::printf(
      "## 12. Hex examples\n\n"
      "Generated by `build/bin/tlslab-codec-examples` from fixed inputs (RAND-CLIENT = 00..1f,\n"
      "RAND-SERVER = 80..9f). Each block is one frame: the 5-byte header, a space, the fragment.\n"
      "`tests/tools/spec_examples_test.cpp` decodes every block of this section.\n\n");

  ClientHello hello;
  hello.random = client_random;
  hello.cipher_suites = {0x0A01, 0x0A03, 0x0A02};
  hello.set_server_name("localhost");
  example("client_hello", "Arrow 1: ClientHello", frame_hex(ContentType::handshake, encode_handshake(hello)),
          "`16 0100 len` · `01` client_hello · uint24 length · version `0100` · RAND-CLIENT · suites (6 bytes: "
          "0A01 0A03 0A02) · extensions: server_name (type 0000) = `localhost`.");

  ServerHello server_hello;
  server_hello.random = server_random;
  server_hello.cipher_suite = 0x0A01;
  server_hello.certificate = {0x30, 0x03, 0x02, 0x01, 0x01};        // stands in for the X.509 DER
  server_hello.server_public_key = {0x30, 0x03, 0x02, 0x01, 0x02};  // stands in for the SPKI DER
  example("server_hello", "Arrow 2: ServerHello", frame_hex(ContentType::handshake, encode_handshake(server_hello)),
          "version · RAND-SERVER · suite 0A01 · CERTIFICATE and SERVER'S PUBLIC KEY as uint16-length vectors "
          "(shortened here to 5-byte placeholders; real ones are ~1000 and 294 bytes) · no extensions.");

  StatusRequest request;
  request.certificate = server_hello.certificate;
  request.nonce = Bytes(32, 0x5a);
  example("status_request", "Arrow 3: StatusRequest", frame_hex(ContentType::handshake, encode_handshake(request)),
          "certificate (uint16 length) · nonce (uint8 length, 32 bytes of 5a).");

  StatusResponse response;
  response.ocsp_response = {0x30, 0x03, 0x0a, 0x01, 0x01};  // OCSPResponse{malformedRequest}
  example("status_response", "Arrow 4: StatusResponse", frame_hex(ContentType::handshake, encode_handshake(response)),
          "ocsp_response (uint16 length): here the 5-byte OCSPResponse `30030a0101` (malformedRequest); a "
          "successful one is a signed BasicOCSPResponse of ~700-1000 bytes.");

  ClientKeyExchange key_exchange;
  key_exchange.encrypted_pre_master = Bytes(256, 0xc3);
  std::string cke = frame_hex(ContentType::handshake, encode_handshake(key_exchange));
  example("client_key_exchange", "Arrow 5: ClientKeyExchange", cke,
          "encrypted_pre_master (uint16 length 0100 = 256 bytes for RSA-2048; c3 bytes stand in for the "
          "RSA-OAEP ciphertext).");

  Alert alert{AlertLevel::fatal, AlertDescription::certificate_revoked};
  example("alert", "Alert (in the clear)", frame_hex(ContentType::alert, alert.encode()),
          "level 02 (fatal) · description 2c (44, certificate_revoked).");

  // The key schedule, with a fixed PRE-MASTER, as a test vector for independent implementations.
  Secret pre_master(crypto::pre_master_size);
  pre_master.data()[0] = 0x01;
  pre_master.data()[1] = 0x00;
  for (std::size_t i = 2; i < pre_master.size(); ++i) pre_master.data()[i] = static_cast<std::uint8_t>(0xa0 + i);
  auto suite = *suite_info(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  auto [master_secret, keys] = key_schedule(
      "### Key schedule (TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256)\n\n"
      "PRE-MASTER = `0100` followed by a2 a3 … cf (48 bytes); RAND-CLIENT and RAND-SERVER as above.",
      CipherSuite::rsa_oaep_aes_128_gcm_sha256, pre_master, client_random, server_random);

  // Client Finished over the transcript of the three examples above, sealed as record 0.
  Bytes transcript = encode_handshake(hello);
  append(transcript, encode_handshake(server_hello));
  append(transcript, encode_handshake(key_exchange));
  Bytes transcript_hash = crypto::digest(suite.hash, transcript);
  Finished finished;
  finished.verify_data =
      crypto::compute_verify_data(suite.hash, master_secret, crypto::FinishedSender::client, transcript_hash);
  Bytes finished_message = encode_handshake(finished);
  crypto::RecordProtection client_writer(suite.aead, std::move(keys.client_write));
  Bytes sealed;
  client_writer.seal(InnerType::handshake, finished_message, sealed);
  std::printf(
      "### Arrow 6: Finished (client), protected\n\n"
      "transcript hash = SHA-256(ClientHello ‖ ServerHello ‖ ClientKeyExchange messages above) = `%s`;\n"
      "verify_data = PRF(master_secret, \"client finished\", hash)[0..11] = `%s`. The inner plaintext is\n"
      "`%s` ‖ `16` (inner type handshake), sealed with client_write_key, nonce = client_write_iv XOR 0\n"
      "(sequence 0), AAD = the frame header:\n\n```hex finished_protected\n%s %s\n```\n\n",
      to_hex(transcript_hash).c_str(), to_hex(finished.verify_data).c_str(), to_hex(finished_message).c_str(),
      to_hex(ByteView(sealed).first(frame_header_size)).c_str(),
      to_hex(ByteView(sealed).subspan(frame_header_size)).c_str());

  // The CA's other arrows (§9.1, §7.7): the same handshake with a staple asked for and sent, and a
  // client certificate offered, asked for and sent.
  ClientHello asking = hello;
  asking.ask_for_staple();
  asking.offer_certificate();
  example("client_hello_stapled_mutual", "Arrow 1 with stapling and a client certificate: ClientHello",
          frame_hex(ContentType::handshake, encode_handshake(asking)),
          "As arrow 1 above, with two more empty extensions: status_stapling (type 0005, \"staple, please\", "
          "§9.1) and certificate_request (type 0040, \"I have a certificate\", §7.7).");

  ServerHello stapling = server_hello;
  stapling.set_staple(response.ocsp_response);
  stapling.set_certificate_request({0x0403, 0x0804});
  example("server_hello_stapled_mutual", "Arrow 2 with a staple and a request for the client's certificate",
          frame_hex(ContentType::handshake, encode_handshake(stapling)),
          "As arrow 2 above, with status_stapling (type 0005) holding ocsp_response (uint16 length; the 5-byte "
          "placeholder `30030a0101` here, a real staple is the CA's signed answer of ~700-1000 bytes) and "
          "certificate_request (type 0040) holding the schemes the server accepts (uint16 length, 0403 ECDSA "
          "P-256 SHA-256, 0804 RSA-PSS SHA-256).");

  AuthenticatedKeyExchange mutual{key_exchange, {{0x30, 0x03, 0x02, 0x01, 0x03}, 0x0804, Bytes(256, 0x5c)}};
  Bytes mutual_transcript = encode_handshake(asking);
  append(mutual_transcript, encode_handshake(stapling));
  append(mutual_transcript, mutual.signed_fields());
  Bytes mutual_hash = crypto::digest(suite.hash, mutual_transcript);
  Bytes signed_content = certificate_verify_content(mutual_hash);
  example("client_key_exchange_mutual", "Arrow 5 in its mutual form: ClientKeyExchange, CERTIFICATE, CertificateVerify",
          frame_hex(ContentType::handshake, encode_handshake(mutual)),
          "encrypted_pre_master as in arrow 5 above · client_certificate (uint16 length; a 5-byte placeholder) · "
          "scheme 0804 · signature (uint16 length 0100; 5c bytes stand in for the RSA-PSS signature, which is "
          "randomized).");
  std::printf(
      "The signature is over 64 bytes of 20 ‖ \"%s\" ‖ 00 ‖ SHA-256(ClientHello ‖ ServerHello ‖ signed_fields)\n"
      "with the two messages above and signed_fields = the body of this arrow 5 before `scheme`:\n\n"
      "```text\ntranscript_hash  %s\nsigned_content   %s\n```\n\n",
      std::string(certificate_verify_context).c_str(), to_hex(mutual_hash).c_str(), to_hex(signed_content).c_str());

  Alert required{AlertLevel::fatal, AlertDescription::certificate_required};
  example("alert_certificate_required", "Alert certificate_required (in the clear)",
          frame_hex(ContentType::alert, required.encode()),
          "level 02 (fatal) · description 74 (116, certificate_required): the server requires a client "
          "certificate and the ClientHello offered none (§7.7).");
  // §9: arrow 3 saying who asks; the CA names the sender by it (every address may be 127.0.0.1).
  StatusRequest staple_request = request;
  staple_request.set_requester(Requester::server_for_staple);
  example("status_request_requester", "Arrow 3 with its requester: StatusRequest (the server, for its staple)",
          frame_hex(ContentType::handshake, encode_handshake(staple_request)),
          "As arrow 3 above, then extensions (uint16 length 0005): requester (type 0041), extension_data (uint16 "
          "length 0001), role 02 (the server, about its own certificate, for its staple, §9.1).");
  ecdhe_examples(client_random, server_random);
  resumption_examples(hello, server_hello, master_secret);
  return 0;
}
