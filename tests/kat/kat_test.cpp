// Known-answer tests of the crypto primitives against PUBLISHED vectors (PROTOCOL.md §7.2, §7.5).
//
// The vectors live as hex data files next to this source (TLSLAB_KAT_DIR); each file cites its
// sources in its '#' header and was cross-checked with independent implementations
// (verify_vectors.py: the OpenSSL CLI for the PRF, Python's `cryptography` for the AEADs).
//
// File format: one vector per block, blocks separated by blank lines; "field = value"; a line
// that starts with white space continues the previous field's value; '#' starts a comment line.
// Every failure names the vector as "file:line (name)", the line being where its block starts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/aead.hpp"
#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/secret.hpp"
#include "tlslab/crypto/signature.hpp"
#include "tlslab/crypto/x509.hpp"

#ifndef TLSLAB_KAT_DIR
#error "TLSLAB_KAT_DIR must name the directory holding the known-answer files"
#endif

namespace {

using tlslab::Aead;
using tlslab::Bytes;
using tlslab::ByteView;
using tlslab::from_hex;
using tlslab::HashAlgorithm;
using tlslab::to_hex;

constexpr std::size_t aead_tag_size = 16;
constexpr std::uint8_t sentinel = 0xA5;

// ---------------------------------------------------------------------------------------------
// Reading the data files

struct RawVector {
  std::string source;  // "file.txt:LINE (name)"
  std::map<std::string, std::string, std::less<>> fields;
};

std::string_view trim(std::string_view text) {
  constexpr std::string_view blanks = " \t\r";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

// Reads every vector block of `file_name`; records a test failure for any malformed line.
std::vector<RawVector> read_vectors(std::string_view file_name) {
  const std::filesystem::path path = std::filesystem::path(TLSLAB_KAT_DIR) / file_name;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open known-answer file " << path;
    return {};
  }

  std::vector<RawVector> vectors;
  RawVector current;
  std::string last_field;
  auto finish_block = [&] {
    if (current.fields.empty()) return;
    if (const auto name = current.fields.find("name"); name != current.fields.end()) {
      current.source += " (" + name->second + ")";
    }
    vectors.push_back(std::move(current));
    current = RawVector{};
    last_field.clear();
  };

  std::string line;
  for (int line_number = 1; std::getline(in, line); ++line_number) {
    const std::string where = std::string(file_name) + ":" + std::to_string(line_number);
    if (line.starts_with('#')) continue;
    if (trim(line).empty()) {
      finish_block();
      continue;
    }
    if (line.starts_with(' ') || line.starts_with('\t')) {
      if (last_field.empty()) {
        ADD_FAILURE() << where << ": continuation line without a field before it";
        continue;
      }
      current.fields[last_field] += trim(line);
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string::npos) {
      ADD_FAILURE() << where << ": expected 'field = value', got '" << line << "'";
      continue;
    }
    const std::string field(trim(std::string_view(line).substr(0, equals)));
    const std::string value(trim(std::string_view(line).substr(equals + 1)));
    if (current.fields.empty()) current.source = where;
    if (!current.fields.emplace(field, value).second) {
      ADD_FAILURE() << where << ": field '" << field << "' appears twice in one vector";
    }
    last_field = field;
  }
  finish_block();
  return vectors;
}

// Records a failure for any field outside `allowed` (a misspelt field would otherwise be ignored).
bool has_only_fields(const RawVector& raw, std::initializer_list<std::string_view> allowed) {
  bool ok = true;
  for (const auto& [field, value] : raw.fields) {
    if (std::find(allowed.begin(), allowed.end(), field) == allowed.end()) {
      ADD_FAILURE() << raw.source << ": unknown field '" << field << "'";
      ok = false;
    }
  }
  return ok;
}

std::optional<std::string> text_field(const RawVector& raw, std::string_view field) {
  const auto found = raw.fields.find(field);
  if (found == raw.fields.end()) {
    ADD_FAILURE() << raw.source << ": missing field '" << field << "'";
    return std::nullopt;
  }
  return found->second;
}

std::optional<Bytes> hex_field(const RawVector& raw, std::string_view field) {
  const auto text = text_field(raw, field);
  if (!text) return std::nullopt;
  if (text->empty()) return Bytes{};
  auto bytes = from_hex(*text);
  if (!bytes) ADD_FAILURE() << raw.source << ": field '" << field << "' is not valid hex";
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// TLS 1.2 PRF vectors (tls12_prf.txt)

struct PrfVector {
  std::string source;
  HashAlgorithm hash;
  Bytes secret;
  std::string label;
  Bytes seed;
  Bytes output;
};

std::optional<HashAlgorithm> parse_hash(std::string_view name) {
  if (name == "sha256") return HashAlgorithm::sha256;
  if (name == "sha384") return HashAlgorithm::sha384;
  return std::nullopt;
}

std::optional<PrfVector> to_prf_vector(const RawVector& raw) {
  const bool fields_ok = has_only_fields(raw, {"name", "hash", "secret", "label", "seed", "output"});
  const auto hash_name = text_field(raw, "hash");
  const auto label = text_field(raw, "label");
  auto secret = hex_field(raw, "secret");
  auto seed = hex_field(raw, "seed");
  auto output = hex_field(raw, "output");
  if (!fields_ok || !hash_name || !label || !secret || !seed || !output) return std::nullopt;
  const auto hash = parse_hash(*hash_name);
  if (!hash) {
    ADD_FAILURE() << raw.source << ": unknown hash '" << *hash_name << "'";
    return std::nullopt;
  }
  if (output->empty()) {
    ADD_FAILURE() << raw.source << ": empty output";
    return std::nullopt;
  }
  return PrfVector{raw.source, *hash, std::move(*secret), *label, std::move(*seed), std::move(*output)};
}

// The vectors of tls12_prf.txt that use `hash`. Every vector of the file must convert, whatever
// its hash, so that a malformed one cannot drop out unnoticed.
std::vector<PrfVector> load_prf_vectors(HashAlgorithm hash) {
  std::vector<PrfVector> selected;
  for (const RawVector& raw : read_vectors("tls12_prf.txt")) {
    auto vector = to_prf_vector(raw);
    if (vector && vector->hash == hash) selected.push_back(std::move(*vector));
  }
  return selected;
}

void expect_prf_matches_published_vectors(HashAlgorithm hash) {
  const std::vector<PrfVector> vectors = load_prf_vectors(hash);
  ASSERT_GT(vectors.size(), 0u) << "no " << tlslab::to_string(hash) << " vector was loaded";
  for (const PrfVector& vector : vectors) {
    SCOPED_TRACE(vector.source);
    const tlslab::Secret output =
        tlslab::crypto::prf(vector.hash, vector.secret, vector.label, vector.seed, vector.output.size());
    EXPECT_EQ(to_hex(output.view()), to_hex(vector.output));
  }
}

TEST(Prf, Sha256MatchesPublishedVectors) {
  expect_prf_matches_published_vectors(HashAlgorithm::sha256);
}

TEST(Prf, Sha384MatchesPublishedVectors) {
  expect_prf_matches_published_vectors(HashAlgorithm::sha384);
}

// P_hash is a stream: asking for fewer bytes (12 for verify_data, 48 for the master secret, one
// short of a hash block, ...) must give a prefix of the published output.
TEST(Prf, ShorterOutputIsPrefixOfPublishedOutput) {
  std::vector<PrfVector> vectors = load_prf_vectors(HashAlgorithm::sha256);
  for (PrfVector& vector : load_prf_vectors(HashAlgorithm::sha384)) {
    vectors.push_back(std::move(vector));
  }
  ASSERT_GT(vectors.size(), 0u) << "no PRF vector was loaded";
  for (const PrfVector& vector : vectors) {
    for (const std::size_t length : {std::size_t{1}, std::size_t{12}, std::size_t{31}, std::size_t{32}, std::size_t{33},
                                     std::size_t{48}, vector.output.size() - 1}) {
      if (length == 0 || length > vector.output.size()) continue;
      SCOPED_TRACE(vector.source + ", first " + std::to_string(length) + " bytes");
      const tlslab::Secret output = tlslab::crypto::prf(vector.hash, vector.secret, vector.label, vector.seed, length);
      EXPECT_EQ(to_hex(output.view()), to_hex(ByteView(vector.output).first(length)));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// AEAD vectors (aes_128_gcm.txt, aes_256_gcm.txt, chacha20_poly1305.txt)

struct AeadVector {
  std::string source;
  Bytes key;
  Bytes nonce;
  Bytes aad;
  Bytes plaintext;
  Bytes ciphertext;
  Bytes tag;

  [[nodiscard]] Bytes ciphertext_and_tag() const {
    Bytes sealed = ciphertext;
    tlslab::append(sealed, tag);
    return sealed;
  }
};

std::size_t key_size(Aead aead) {
  return aead == Aead::aes_128_gcm ? 16 : 32;
}

std::optional<AeadVector> to_aead_vector(const RawVector& raw, Aead aead) {
  const bool fields_ok = has_only_fields(raw, {"name", "key", "nonce", "aad", "plaintext", "ciphertext", "tag"});
  auto key = hex_field(raw, "key");
  auto nonce = hex_field(raw, "nonce");
  auto aad = hex_field(raw, "aad");
  auto plaintext = hex_field(raw, "plaintext");
  auto ciphertext = hex_field(raw, "ciphertext");
  auto tag = hex_field(raw, "tag");
  if (!fields_ok || !key || !nonce || !aad || !plaintext || !ciphertext || !tag) {
    return std::nullopt;
  }
  // Sizes the AEAD cannot take would test the vector file, not the implementation.
  if (key->size() != key_size(aead) || nonce->size() != tlslab::crypto::aead_nonce_size ||
      tag->size() != aead_tag_size || ciphertext->size() != plaintext->size()) {
    ADD_FAILURE() << raw.source << ": wrong sizes (key " << key->size() << ", nonce " << nonce->size() << ", tag "
                  << tag->size() << ", ciphertext " << ciphertext->size() << " for plaintext " << plaintext->size()
                  << ")";
    return std::nullopt;
  }
  return AeadVector{raw.source,      std::move(*key),       std::move(*nonce),
                    std::move(*aad), std::move(*plaintext), std::move(*ciphertext),
                    std::move(*tag)};
}

std::vector<AeadVector> load_aead_vectors(std::string_view file_name, Aead aead) {
  std::vector<AeadVector> vectors;
  for (const RawVector& raw : read_vectors(file_name)) {
    if (auto vector = to_aead_vector(raw, aead)) vectors.push_back(std::move(*vector));
  }
  return vectors;
}

// Output buffers carry one sentinel byte past the expected size: it must survive (no overrun),
// and it keeps data() non-null when the expected size is zero.
bool sentinel_intact(const Bytes& buffer) {
  return buffer.back() == sentinel;
}

void expect_seal_matches(std::string_view file_name, Aead aead) {
  const std::vector<AeadVector> vectors = load_aead_vectors(file_name, aead);
  ASSERT_GT(vectors.size(), 0u) << "no vector was loaded from " << file_name;
  for (const AeadVector& vector : vectors) {
    SCOPED_TRACE(vector.source);
    tlslab::crypto::AeadKey key(aead, vector.key);
    const std::size_t sealed_size = vector.plaintext.size() + aead_tag_size;
    Bytes sealed(sealed_size + 1, sentinel);
    key.seal(vector.nonce, vector.aad, vector.plaintext, sealed.data());
    EXPECT_EQ(to_hex(ByteView(sealed).first(sealed_size)), to_hex(vector.ciphertext_and_tag()));
    EXPECT_TRUE(sentinel_intact(sealed)) << "seal() wrote past plaintext.size() + 16 bytes";
  }
}

void expect_open_returns_plaintext(std::string_view file_name, Aead aead) {
  const std::vector<AeadVector> vectors = load_aead_vectors(file_name, aead);
  ASSERT_GT(vectors.size(), 0u) << "no vector was loaded from " << file_name;
  for (const AeadVector& vector : vectors) {
    SCOPED_TRACE(vector.source);
    tlslab::crypto::AeadKey key(aead, vector.key);
    Bytes opened(vector.plaintext.size() + 1, sentinel);
    EXPECT_TRUE(key.open(vector.nonce, vector.aad, vector.ciphertext_and_tag(), opened.data()));
    EXPECT_EQ(to_hex(ByteView(opened).first(vector.plaintext.size())), to_hex(vector.plaintext));
    EXPECT_TRUE(sentinel_intact(opened)) << "open() wrote past ciphertext.size() bytes";
  }
}

// Every one of the 128 single-bit flips of the tag must be rejected, with the output zeroed;
// afterwards the same key must still open the genuine ciphertext (a failure leaves no state).
void expect_open_rejects_tag_bit_flips(std::string_view file_name, Aead aead) {
  const std::vector<AeadVector> vectors = load_aead_vectors(file_name, aead);
  ASSERT_GT(vectors.size(), 0u) << "no vector was loaded from " << file_name;
  for (const AeadVector& vector : vectors) {
    SCOPED_TRACE(vector.source);
    tlslab::crypto::AeadKey key(aead, vector.key);
    const Bytes genuine = vector.ciphertext_and_tag();
    const std::size_t tag_offset = vector.ciphertext.size();
    for (std::size_t bit = 0; bit < aead_tag_size * 8; ++bit) {
      Bytes forged = genuine;
      forged[tag_offset + bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      Bytes opened(vector.plaintext.size() + 1, sentinel);
      EXPECT_FALSE(key.open(vector.nonce, vector.aad, forged, opened.data())) << "tag bit " << bit << " flipped";
      const ByteView output = ByteView(opened).first(vector.plaintext.size());
      EXPECT_TRUE(std::all_of(output.begin(), output.end(), [](std::uint8_t b) { return b == 0; }))
          << "output not zeroed after a failed open (tag bit " << bit << " flipped)";
    }
    Bytes opened(vector.plaintext.size() + 1, sentinel);
    EXPECT_TRUE(key.open(vector.nonce, vector.aad, genuine, opened.data()))
        << "the genuine ciphertext no longer opens after rejected forgeries";
    EXPECT_EQ(to_hex(ByteView(opened).first(vector.plaintext.size())), to_hex(vector.plaintext));
  }
}

// aead.hpp allows `out` to alias the input, which is how record protection uses it.
void expect_in_place_seal_and_open(std::string_view file_name, Aead aead) {
  const std::vector<AeadVector> vectors = load_aead_vectors(file_name, aead);
  ASSERT_GT(vectors.size(), 0u) << "no vector was loaded from " << file_name;
  for (const AeadVector& vector : vectors) {
    SCOPED_TRACE(vector.source);
    tlslab::crypto::AeadKey key(aead, vector.key);
    const std::size_t plaintext_size = vector.plaintext.size();
    Bytes buffer(plaintext_size + aead_tag_size + 1, sentinel);
    std::copy(vector.plaintext.begin(), vector.plaintext.end(), buffer.begin());
    key.seal(vector.nonce, vector.aad, ByteView(buffer).first(plaintext_size), buffer.data());
    EXPECT_EQ(to_hex(ByteView(buffer).first(plaintext_size + aead_tag_size)), to_hex(vector.ciphertext_and_tag()));
    EXPECT_TRUE(
        key.open(vector.nonce, vector.aad, ByteView(buffer).first(plaintext_size + aead_tag_size), buffer.data()));
    EXPECT_EQ(to_hex(ByteView(buffer).first(plaintext_size)), to_hex(vector.plaintext));
    EXPECT_TRUE(sentinel_intact(buffer)) << "in-place seal/open wrote past the buffer";
  }
}

TEST(Aes128Gcm, SealMatchesPublishedVectors) {
  expect_seal_matches("aes_128_gcm.txt", Aead::aes_128_gcm);
}
TEST(Aes128Gcm, OpenReturnsPublishedPlaintext) {
  expect_open_returns_plaintext("aes_128_gcm.txt", Aead::aes_128_gcm);
}
TEST(Aes128Gcm, OpenRejectsEverySingleTagBitFlip) {
  expect_open_rejects_tag_bit_flips("aes_128_gcm.txt", Aead::aes_128_gcm);
}
TEST(Aes128Gcm, InPlaceSealAndOpenMatchPublishedVectors) {
  expect_in_place_seal_and_open("aes_128_gcm.txt", Aead::aes_128_gcm);
}

TEST(Aes256Gcm, SealMatchesPublishedVectors) {
  expect_seal_matches("aes_256_gcm.txt", Aead::aes_256_gcm);
}
TEST(Aes256Gcm, OpenReturnsPublishedPlaintext) {
  expect_open_returns_plaintext("aes_256_gcm.txt", Aead::aes_256_gcm);
}
TEST(Aes256Gcm, OpenRejectsEverySingleTagBitFlip) {
  expect_open_rejects_tag_bit_flips("aes_256_gcm.txt", Aead::aes_256_gcm);
}
TEST(Aes256Gcm, InPlaceSealAndOpenMatchPublishedVectors) {
  expect_in_place_seal_and_open("aes_256_gcm.txt", Aead::aes_256_gcm);
}

TEST(ChaCha20Poly1305, SealMatchesPublishedVectors) {
  expect_seal_matches("chacha20_poly1305.txt", Aead::chacha20_poly1305);
}
TEST(ChaCha20Poly1305, OpenReturnsPublishedPlaintext) {
  expect_open_returns_plaintext("chacha20_poly1305.txt", Aead::chacha20_poly1305);
}
TEST(ChaCha20Poly1305, OpenRejectsEverySingleTagBitFlip) {
  expect_open_rejects_tag_bit_flips("chacha20_poly1305.txt", Aead::chacha20_poly1305);
}
TEST(ChaCha20Poly1305, InPlaceSealAndOpenMatchPublishedVectors) {
  expect_in_place_seal_and_open("chacha20_poly1305.txt", Aead::chacha20_poly1305);
}

// ---------------------------------------------------------------------------------------------
// ECDH (ecdh.txt) and the key share's signatures (signatures.txt), PROTOCOL.md §7.6

std::optional<tlslab::NamedGroup> parse_group(std::string_view name) {
  if (name == "x25519") return tlslab::NamedGroup::x25519;
  if (name == "secp256r1") return tlslab::NamedGroup::secp256r1;
  return std::nullopt;
}

TEST(Ecdh, SharedSecretsMatchPublishedVectors) {
  std::size_t checked = 0;
  for (const RawVector& raw : read_vectors("ecdh.txt")) {
    auto group = parse_group(text_field(raw, "group").value_or(""));
    auto private_key = hex_field(raw, "private");
    auto peer = hex_field(raw, "peer");
    ASSERT_TRUE(group && private_key && peer) << raw.source;
    Bytes public_key = raw.fields.contains("public") ? hex_field(raw, "public").value_or(Bytes{}) : Bytes{};
    auto key = tlslab::crypto::EphemeralKey::from_private_key(*group, *private_key, public_key);
    if (!public_key.empty()) {
      EXPECT_EQ(to_hex(key.public_key()), to_hex(public_key)) << raw.source;
    }
    auto shared = key.derive(*peer);
    if (raw.fields.contains("alert")) {
      ASSERT_FALSE(shared.ok()) << raw.source << ": accepted";
      EXPECT_EQ(tlslab::to_string(shared.failure().alert), text_field(raw, "alert").value_or("")) << raw.source;
    } else {
      ASSERT_TRUE(shared.ok()) << raw.source << ": " << shared.failure().reason;
      EXPECT_EQ(to_hex(shared.value().view()), to_hex(hex_field(raw, "shared").value_or(Bytes{}))) << raw.source;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 7u);
}

TEST(KeyShareSignature, VerificationMatchesPublishedVectors) {
  std::size_t checked = 0;
  for (const RawVector& raw : read_vectors("signatures.txt")) {
    auto scheme_name = text_field(raw, "scheme").value_or("");
    auto scheme = scheme_name == "ecdsa_secp256r1_sha256" ? tlslab::crypto::SignatureScheme::ecdsa_secp256r1_sha256
                                                          : tlslab::crypto::SignatureScheme::rsa_pss_rsae_sha256;
    auto spki = hex_field(raw, "spki");
    auto message = hex_field(raw, "message");
    auto signature = hex_field(raw, "signature");
    ASSERT_TRUE(spki && message && signature) << raw.source;
    auto key = tlslab::crypto::parse_public_key_der(*spki);
    ASSERT_TRUE(key.ok()) << raw.source;
    EXPECT_EQ(tlslab::crypto::scheme_for(key.value().get()), scheme) << raw.source;
    bool valid = text_field(raw, "valid").value_or("") == "yes";
    auto verified = tlslab::crypto::verify(key.value().get(), scheme, *message, *signature);
    EXPECT_EQ(verified.ok(), valid) << raw.source;
    if (!valid && !verified.ok()) {
      EXPECT_EQ(verified.failure().alert, tlslab::AlertDescription::decrypt_error);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 4u);
}

}  // namespace
