#include "record_opener.hpp"

#include <openssl/crypto.h>

#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/tls/computations.hpp"
#include "tlslab/tls/names.hpp"

namespace tlslab::explain {
namespace {

constexpr std::size_t header_size = 5;
constexpr std::size_t tag_size = 16;
constexpr std::size_t explicit_nonce_size = 8;  // RFC 5288 §3: TLS 1.2 AES-GCM

struct SuiteKeys {
  Aead aead;
  std::size_t key_size;
};

// The record protection of an IANA suite, when it is an AEAD this opens.
std::optional<SuiteKeys> keys_of(std::uint16_t suite) {
  std::string name = tls::cipher_suite_name(suite);
  if (name.find("_AES_128_GCM_") != std::string::npos) return SuiteKeys{Aead::aes_128_gcm, 16};
  if (name.find("_AES_256_GCM_") != std::string::npos) return SuiteKeys{Aead::aes_256_gcm, 32};
  if (name.find("_CHACHA20_POLY1305_") != std::string::npos) return SuiteKeys{Aead::chacha20_poly1305, 32};
  return std::nullopt;
}

std::string not_opened(std::uint16_t suite) {
  return tls::cipher_suite_name(suite) +
         ": records under this suite are not opened (tlslab-explain opens AES-GCM and ChaCha20-Poly1305)";
}

// RFC 8446 §5.3, RFC 7905 §2: the iv with the sequence number XORed into its last 8 bytes.
Bytes nonce_of(const Bytes& iv, std::uint64_t sequence) {
  Bytes nonce = iv;
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(sequence >> (8 * i));
  }
  return nonce;
}

void put_u64(Bytes& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

}  // namespace

RecordOpener::RecordOpener(std::uint16_t suite, Aead aead, ByteView key, Bytes iv, bool tls13, Bytes secret)
    : suite_(suite), aead_(aead), key_(aead, key), iv_(std::move(iv)), tls13_(tls13), secret_(std::move(secret)) {}

std::optional<RecordOpener> RecordOpener::tls13(std::uint16_t suite, ByteView traffic_secret, std::string& why) {
  auto keys = keys_of(suite);
  if (!keys) {
    why = not_opened(suite);
    return std::nullopt;
  }
  Bytes key = tls::hkdf_expand_label(suite, traffic_secret, "key", keys->key_size);
  Bytes iv = tls::hkdf_expand_label(suite, traffic_secret, "iv", crypto::aead_nonce_size);
  RecordOpener opener(suite, keys->aead, key, std::move(iv), true, Bytes(traffic_secret.begin(), traffic_secret.end()));
  OPENSSL_cleanse(key.data(), key.size());
  return opener;
}

std::optional<RecordOpener> RecordOpener::tls12(std::uint16_t suite, ByteView master_secret, ByteView client_random,
                                                ByteView server_random, bool client_write, std::string& why) {
  auto keys = keys_of(suite);
  if (!keys) {
    why = not_opened(suite);
    return std::nullopt;
  }
  // RFC 5246 §6.3: client_write_key, server_write_key, client_write_IV, server_write_IV (an AEAD has
  // no MAC keys); the IV is AES-GCM's 4-byte salt (RFC 5288 §3) or ChaCha20's 12 bytes (RFC 7905).
  std::size_t iv_size = keys->aead == Aead::chacha20_poly1305 ? crypto::aead_nonce_size : 4;
  Bytes seed(server_random.begin(), server_random.end());
  seed.insert(seed.end(), client_random.begin(), client_random.end());
  HashAlgorithm hash =
      tls::cipher_suite_name(suite).ends_with("SHA384") ? HashAlgorithm::sha384 : HashAlgorithm::sha256;
  Secret block = crypto::prf(hash, master_secret, "key expansion", seed, 2 * keys->key_size + 2 * iv_size);
  ByteView all = block.view();
  ByteView key = all.subspan(client_write ? 0 : keys->key_size, keys->key_size);
  ByteView iv = all.subspan(2 * keys->key_size + (client_write ? 0 : iv_size), iv_size);
  return RecordOpener(suite, keys->aead, key, Bytes(iv.begin(), iv.end()), false, {});
}

std::optional<OpenedRecord> RecordOpener::open(ByteView record) {
  std::uint64_t sequence = sequence_++;
  if (record.size() < header_size) return std::nullopt;
  ByteView header = record.first(header_size);
  ByteView fragment = record.subspan(header_size);
  bool explicit_nonce = !tls13_ && aead_ != Aead::chacha20_poly1305;
  std::size_t overhead = tag_size + (explicit_nonce ? explicit_nonce_size : 0);
  if (fragment.size() < overhead) return std::nullopt;
  Bytes nonce;
  Bytes aad;
  if (tls13_) {
    nonce = nonce_of(iv_, sequence);
    aad.assign(header.begin(), header.end());
  } else {
    if (explicit_nonce) {
      nonce = iv_;
      nonce.insert(nonce.end(), fragment.begin(), fragment.begin() + explicit_nonce_size);
      fragment = fragment.subspan(explicit_nonce_size);
    } else {
      nonce = nonce_of(iv_, sequence);
    }
    // RFC 5246 §6.2.3.3: seq_num + type + version + length of the plaintext.
    std::size_t length = fragment.size() - tag_size;
    put_u64(aad, sequence);
    aad.insert(aad.end(), header.begin(), header.begin() + 3);
    aad.push_back(static_cast<std::uint8_t>(length >> 8));
    aad.push_back(static_cast<std::uint8_t>(length));
  }
  OpenedRecord opened;
  opened.plaintext.resize(fragment.size() - tag_size);
  if (!key_.open(nonce, aad, fragment, opened.plaintext.data())) return std::nullopt;
  if (!tls13_) {
    opened.content_type = header[0];
    return opened;
  }
  // RFC 8446 §5.4: TLSInnerPlaintext is content, the type, then zeros.
  while (!opened.plaintext.empty() && opened.plaintext.back() == 0) opened.plaintext.pop_back();
  if (opened.plaintext.empty()) return std::nullopt;  // no content type: §5.4 says unexpected_message
  opened.content_type = opened.plaintext.back();
  opened.plaintext.pop_back();
  return opened;
}

void RecordOpener::update() {
  auto keys = keys_of(suite_);
  Bytes next = tls::hkdf_expand_label(suite_, secret_, "traffic upd", secret_.size());
  Bytes key = tls::hkdf_expand_label(suite_, next, "key", keys->key_size);
  iv_ = tls::hkdf_expand_label(suite_, next, "iv", crypto::aead_nonce_size);
  key_ = crypto::AeadKey(aead_, key);
  OPENSSL_cleanse(secret_.data(), secret_.size());
  secret_ = std::move(next);
  OPENSSL_cleanse(key.data(), key.size());
  sequence_ = 0;
}

}  // namespace tlslab::explain
