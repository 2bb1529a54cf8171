// Record protection (PROTOCOL.md §7.5) as a receiver opens protected frames, with fixed keys: the
// key block of §12's key-schedule example (PRE-MASTER 0100a2..cf, RAND-CLIENT 00..1f, RAND-SERVER
// 80..9f), derived for each suite. Under those keys §12's "Arrow 6" frame opens.
//
// Input: one selector byte, then the rest.
//   selector & 0x03   suite: 0 → 0x0A01 (AES-128-GCM), 1 → 0x0A02 (AES-256-GCM),
//                     2 → 0x0A03 (ChaCha20-Poly1305), 3 → 0x0A01
//   selector & 0x40   the server's write keys instead of the client's
//   selector & 0x80   sealed mode (below)
// Open mode: the rest is what arrives on the wire: protected frames (5-byte header, fragment),
//   opened in order by one RecordProtection from sequence number 0, until one fails (the
//   connection would close there). Mutated frames do not authenticate: this mode covers every
//   check before and around the AEAD, and the failure path (the buffer must be wiped).
// Sealed mode: the rest is an InnerPlaintext (content || inner type). It is sealed with the same
//   keys and sequence number 0, then opened: the outcome must be exactly what §7.5 says for that
//   plaintext, the content must come back unchanged, and the same frame replayed or with one bit
//   flipped must not open. This reaches the code after a successful authentication, which open
//   mode cannot.
// Seeds: tests/fuzz/corpus/fuzz_record_open/ (make_corpus.py).
#include <array>
#include <optional>

#include "fuzz_support.hpp"
#include "tlslab/crypto/aead.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/record.hpp"

namespace {

using namespace tlslab;

struct SuiteKeys {
  SuiteInfo suite;
  crypto::KeyBlock key_block;
};

SuiteKeys derive_keys(CipherSuite suite) {
  SuiteInfo info = suite_info(suite).value();
  Secret pre_master(crypto::pre_master_size);
  pre_master.data()[0] = 0x01;
  pre_master.data()[1] = 0x00;
  for (std::size_t i = 2; i < crypto::pre_master_size; ++i) pre_master.data()[i] = static_cast<std::uint8_t>(0xa0 + i);
  Random client_random{};
  Random server_random{};
  for (std::size_t i = 0; i < random_size; ++i) {
    client_random[i] = static_cast<std::uint8_t>(i);
    server_random[i] = static_cast<std::uint8_t>(0x80 + i);
  }
  Secret master = crypto::derive_master_secret(info.hash, pre_master, client_random, server_random);
  return SuiteKeys{info, crypto::derive_key_block(info, master, client_random, server_random)};
}

const std::array<SuiteKeys, 3>& fixed_keys() {
  static const std::array<SuiteKeys, 3> keys{derive_keys(CipherSuite::rsa_oaep_aes_128_gcm_sha256),
                                             derive_keys(CipherSuite::rsa_oaep_aes_256_gcm_sha384),
                                             derive_keys(CipherSuite::rsa_oaep_chacha20_poly1305_sha256)};
  return keys;
}

struct Selection {
  const SuiteKeys* keys;
  bool server_direction;
  bool sealed_mode;
};

Selection selection_of(std::uint8_t selector) {
  return Selection{&fixed_keys()[(selector & 0x03) % 3], (selector & 0x40) != 0, (selector & 0x80) != 0};
}

const crypto::DirectionKeys& direction(const Selection& selection) {
  return selection.server_direction ? selection.keys->key_block.server_write : selection.keys->key_block.client_write;
}

crypto::RecordProtection make_opener(const Selection& selection) {
  const auto& keys = direction(selection);
  return crypto::RecordProtection(selection.keys->suite.aead,
                                  crypto::DirectionKeys{Secret(keys.key.view()), Secret(keys.iv.view())});
}

bool all_zero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

void open_frames(const Selection& selection, ByteView stream) {
  auto opener = make_opener(selection);
  while (stream.size() >= frame_header_size) {
    auto header = FrameHeader::decode(stream.first(frame_header_size));
    if (!header) return;  // the channel rejects it before the record layer sees it
    stream = stream.subspan(frame_header_size);
    // A truncated last frame is passed as it is: open() must reject the length mismatch.
    std::size_t available = std::min<std::size_t>(header->length, stream.size());
    Bytes fragment(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(available));
    stream = stream.subspan(available);
    std::uint64_t sequence = opener.sequence();
    auto opened = opener.open(header.value(), fragment);
    if (!opened) {
      auto alert = opened.failure().alert;
      if (header->type != ContentType::protected_record) {
        fuzz::require(alert == AlertDescription::unexpected_message,
                      "a clear frame after protection is unexpected_message");
      } else if (available != header->length) {
        fuzz::require(alert == AlertDescription::decode_error, "a truncated fragment is a decode_error");
      } else if (alert == AlertDescription::bad_record_mac) {
        fuzz::require(opener.sequence() == sequence, "a frame that does not open must not advance the sequence number");
        // The plaintext of a frame that does not authenticate is never released (AeadKey::open).
        if (fragment.size() > aead_tag_size) {
          fuzz::require(all_zero(ByteView(fragment).first(fragment.size() - aead_tag_size)),
                        "unauthenticated plaintext left in the buffer");
        }
      }
      return;
    }
    fuzz::require(opener.sequence() == sequence + 1, "an opened frame advances the sequence number by one");
    fuzz::require(opened->content.size() <= max_plaintext, "opened content within 16384 bytes");
    fuzz::require(opened->content.size() + 1 + aead_tag_size == fragment.size(), "content = fragment - type - tag");
    fuzz::require(opened->content.empty() || opened->content.data() == fragment.data(),
                  "content is a view into the fragment");
  }
}

// What §7.5 says opening must give for an authentic frame carrying `inner` (content || type).
std::optional<AlertDescription> expected_failure(ByteView inner) {
  if (inner.empty()) return AlertDescription::bad_record_mac;  // too short for a type and a tag
  std::size_t content_size = inner.size() - 1;
  std::uint8_t type = inner.back();
  if (content_size > max_plaintext) return AlertDescription::record_overflow;
  switch (type) {
    case static_cast<std::uint8_t>(InnerType::application_data): return std::nullopt;
    case static_cast<std::uint8_t>(InnerType::alert):
    case static_cast<std::uint8_t>(InnerType::handshake):
      return content_size == 0 ? std::optional(AlertDescription::decode_error) : std::nullopt;
    default: return AlertDescription::unexpected_message;
  }
}

void seal_then_open(const Selection& selection, ByteView inner) {
  if (inner.size() + aead_tag_size > max_protected_fragment) return;  // cannot be one frame
  FrameHeader header{ContentType::protected_record, ProtocolVersion::tlslab_1_0,
                     static_cast<std::uint16_t>(inner.size() + aead_tag_size)};
  auto header_bytes = header.encode();
  auto decoded_header = FrameHeader::decode(header_bytes);
  fuzz::require(decoded_header.ok(), "the header of a frame that fits the limits decodes");

  // Seal the raw InnerPlaintext as the sender would at sequence 0 (nonce = IV XOR 0 = IV).
  const auto& keys = direction(selection);
  crypto::AeadKey sealer(selection.keys->suite.aead, keys.key.view());
  Bytes sealed(inner.size() + aead_tag_size);
  sealer.seal(keys.iv.view(), header_bytes, inner, sealed.data());

  auto opener = make_opener(selection);
  Bytes fragment = sealed;
  auto opened = opener.open(decoded_header.value(), fragment);
  auto expected = expected_failure(inner);
  if (expected) {
    fuzz::require(!opened && opened.failure().alert == *expected, "opening gives another outcome than §7.5 prescribes");
  } else {
    fuzz::require(opened.ok(), "an authentic frame with a valid inner plaintext does not open");
    fuzz::require(static_cast<std::uint8_t>(opened->type) == inner.back(), "inner type changed");
    if (!fuzz::same_bytes(opened->content, inner.first(inner.size() - 1)))
      fuzz::violated("content changed by seal/open");
    // Replay (§7.5): the same frame again is opened with sequence number 1 and must fail.
    Bytes replayed = sealed;
    auto again = opener.open(decoded_header.value(), replayed);
    fuzz::require(!again && again.failure().alert == AlertDescription::bad_record_mac, "a replayed frame opened");
  }

  // Tamper (§7.5): one flipped bit anywhere in the fragment, chosen by the input.
  std::size_t position = 0;
  for (std::uint8_t byte : inner) position = position * 31 + byte;
  Bytes tampered = sealed;
  tampered[position % tampered.size()] ^= static_cast<std::uint8_t>(1U << (position % 8));
  auto fresh = make_opener(selection);
  auto forged = fresh.open(decoded_header.value(), tampered);
  fuzz::require(!forged && forged.failure().alert == AlertDescription::bad_record_mac, "a modified frame opened");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  Selection selection = selection_of(data[0]);
  ByteView rest(data + 1, size - 1);
  if (selection.sealed_mode) {
    seal_then_open(selection, rest);
  } else {
    open_frames(selection, rest);
  }
  return 0;
}
