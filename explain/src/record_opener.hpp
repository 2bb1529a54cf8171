#pragma once
// Opens the protected records of one direction of a captured TLS connection with the secrets of the
// key log: TLS 1.3 (RFC 8446 §5.2–5.3: the traffic secret's key and iv by HKDF-Expand-Label, the
// per-record nonce, the record header as additional data, the inner content type after the padding)
// and TLS 1.2's AEAD suites (RFC 5246 §6.3 key block by the PRF; RFC 5288 AES-GCM with its 8-byte
// explicit nonce, RFC 7905 ChaCha20-Poly1305). OpenSSL does every primitive (AeadKey, EVP_KDF).
#include <cstdint>
#include <optional>
#include <string>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/aead.hpp"

namespace tlslab::explain {

struct OpenedRecord {
  std::uint8_t content_type = 0;  // the inner one under TLS 1.3
  Bytes plaintext;
};

class RecordOpener {
 public:
  // nullopt when the suite is not one this opens (CBC, CCM): `why` then says so.
  static std::optional<RecordOpener> tls13(std::uint16_t suite, ByteView traffic_secret, std::string& why);
  static std::optional<RecordOpener> tls12(std::uint16_t suite, ByteView master_secret, ByteView client_random,
                                           ByteView server_random, bool client_write, std::string& why);

  // One whole record (header and fragment). nullopt when it does not open (a wrong secret, a record
  // changed on the wire); the sequence number moves on either way.
  std::optional<OpenedRecord> open(ByteView record);
  // TLS 1.3 KeyUpdate (§4.6.3): the next traffic secret, sequence numbers from 0.
  void update();

 private:
  RecordOpener(std::uint16_t suite, Aead aead, ByteView key, Bytes iv, bool tls13, Bytes secret);

  std::uint16_t suite_;
  Aead aead_;
  crypto::AeadKey key_;
  Bytes iv_;  // TLS 1.3 and ChaCha20: 12 bytes; TLS 1.2 AES-GCM: the 4-byte salt
  bool tls13_;
  Bytes secret_;  // TLS 1.3: the traffic secret, for update()
  std::uint64_t sequence_ = 0;
};

}  // namespace tlslab::explain
