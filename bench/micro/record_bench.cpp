// Record protection (PROTOCOL.md §7.5) at 64 B, 1 KiB and 16 KiB of content, for each suite.
// Throughput counts content bytes. A RecordProtection opens only what its peer sealed, in order,
// so opening is timed as seal+open pairs: one writer and one matching reader in lockstep.
//
// The baselines drive EVP the way a careful caller would: a context keyed once (as tlslab's
// AeadKey) or a fresh context per record; the content is encrypted straight from the caller's
// buffer with the inner type as a second update (tlslab copies it into the frame first). Both
// produce the same frame bytes as tlslab, which each baseline checks before timing.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <span>

#include "fixtures.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/record.hpp"
#include "tlslab/frame.hpp"

namespace tlslab::microbench {
namespace {

constexpr std::uint8_t application_data = static_cast<std::uint8_t>(InnerType::application_data);

std::size_t content_size(const benchmark::State& state) {
  return static_cast<std::size_t>(state.range(0));
}

std::size_t frame_size(std::size_t content) {
  return frame_header_size + content + 1 + aead_tag_size;
}

void report(benchmark::State& state) {
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Record_Seal(benchmark::State& state, CipherSuite suite) {
  auto material = record_key_material(suite);
  crypto::RecordProtection writer(material.suite.aead, material.direction_keys());
  const Bytes content(content_size(state), 0x61);
  Bytes frame;
  frame.reserve(frame_size(content.size()));  // clear() below keeps it: no allocation per record
  for (auto _ : state) {
    frame.clear();
    writer.seal(InnerType::application_data, content, frame);
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
  }
  report(state);
}

// The receiver's work too: decode the header, then open the fragment in place.
void BM_Record_SealOpen(benchmark::State& state, CipherSuite suite) {
  auto material = record_key_material(suite);
  crypto::RecordProtection writer(material.suite.aead, material.direction_keys());
  crypto::RecordProtection reader(material.suite.aead, material.direction_keys());
  const Bytes content(content_size(state), 0x61);
  Bytes frame;
  frame.reserve(frame_size(content.size()));
  for (auto _ : state) {
    frame.clear();
    writer.seal(InnerType::application_data, content, frame);
    auto header = FrameHeader::decode(ByteView(frame).first(frame_header_size));
    if (!header) {
      state.SkipWithError("sealed frame header does not decode");
      break;
    }
    auto opened = reader.open(header.value(), std::span(frame).subspan(frame_header_size));
    if (!opened) {
      state.SkipWithError("sealed frame does not open");
      break;
    }
    benchmark::DoNotOptimize(opened->content.data());
    benchmark::ClobberMemory();
  }
  report(state);
}

#define TLSLAB_RECORD_BENCHMARK(function)                                                                           \
  BENCHMARK_CAPTURE(function, aes128gcm, CipherSuite::rsa_oaep_aes_128_gcm_sha256)->Arg(64)->Arg(1024)->Arg(16384); \
  BENCHMARK_CAPTURE(function, aes256gcm, CipherSuite::rsa_oaep_aes_256_gcm_sha384)->Arg(64)->Arg(1024)->Arg(16384); \
  BENCHMARK_CAPTURE(function, chacha20, CipherSuite::rsa_oaep_chacha20_poly1305_sha256)->Arg(64)->Arg(1024)->Arg(16384)

TLSLAB_RECORD_BENCHMARK(BM_Record_Seal);
TLSLAB_RECORD_BENCHMARK(BM_Record_SealOpen);

// ---- OpenSSL baselines ----

using Nonce = std::array<std::uint8_t, 12>;

// §7.5: IV XOR the big-endian sequence number.
Nonce nonce_for(const Bytes& iv, std::uint64_t sequence) {
  Nonce nonce{};
  std::memcpy(nonce.data(), iv.data(), nonce.size());
  for (std::size_t i = 0; i < 8; ++i) nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(sequence >> (8 * i));
  return nonce;
}

std::array<std::uint8_t, frame_header_size> protected_header(std::size_t content) {
  return FrameHeader{ContentType::protected_record, ProtocolVersion::tlslab_1_0,
                     static_cast<std::uint16_t>(content + 1 + aead_tag_size)}
      .encode();
}

ossl::CipherCtx keyed_context(const RecordKeyMaterial& material, bool encrypt) {
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  require(ctx && EVP_CipherInit_ex(ctx.get(), evp_cipher(material.suite.aead), nullptr, material.key.data(), nullptr,
                                   encrypt ? 1 : 0) == 1,
          "AEAD key setup");
  return ctx;
}

// Writes header || AEAD(content || inner type) || tag into `frame` (frame_size(content) bytes)
// with a context that holds the key already.
void raw_seal(EVP_CIPHER_CTX* ctx, const Nonce& nonce, ByteView content, std::uint8_t* frame) {
  auto header = protected_header(content.size());
  std::memcpy(frame, header.data(), header.size());
  std::uint8_t* body = frame + frame_header_size;
  int length = 0;
  require(EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
              EVP_EncryptUpdate(ctx, nullptr, &length, header.data(), static_cast<int>(header.size())) == 1 &&
              EVP_EncryptUpdate(ctx, body, &length, content.data(), static_cast<int>(content.size())) == 1 &&
              EVP_EncryptUpdate(ctx, body + content.size(), &length, &application_data, 1) == 1 &&
              EVP_EncryptFinal_ex(ctx, body + content.size() + 1, &length) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(aead_tag_size),
                                  body + content.size() + 1) == 1,
          "AEAD seal");
}

// Opens the frame raw_seal wrote, in place; the content is then frame[5 .. 5 + content).
bool raw_open(EVP_CIPHER_CTX* ctx, const Nonce& nonce, std::size_t content, std::uint8_t* frame) {
  std::uint8_t* body = frame + frame_header_size;
  std::size_t inner_size = content + 1;
  int length = 0;
  return EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
         EVP_DecryptUpdate(ctx, nullptr, &length, frame, static_cast<int>(frame_header_size)) == 1 &&
         EVP_DecryptUpdate(ctx, body, &length, body, static_cast<int>(inner_size)) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(aead_tag_size), body + inner_size) == 1 &&
         EVP_DecryptFinal_ex(ctx, body + inner_size, &length) == 1 && body[content] == application_data;
}

// The baseline's first frame must be byte-for-byte tlslab's first frame under the same keys.
bool same_as_tlslab(const RecordKeyMaterial& material, ByteView content, ByteView raw_frame) {
  crypto::RecordProtection writer(material.suite.aead, material.direction_keys());
  Bytes frame;
  writer.seal(InnerType::application_data, content, frame);
  return frame.size() == raw_frame.size() && std::memcmp(frame.data(), raw_frame.data(), frame.size()) == 0;
}

void BM_OpenSSL_Aead_Seal_ReusedCtx(benchmark::State& state, CipherSuite suite) {
  auto material = record_key_material(suite);
  auto ctx = keyed_context(material, true);
  const Bytes content(content_size(state), 0x61);
  Bytes frame(frame_size(content.size()));
  raw_seal(ctx.get(), nonce_for(material.iv, 0), content, frame.data());
  if (!same_as_tlslab(material, content, frame)) {
    state.SkipWithError("raw EVP frame differs from tlslab's");
    return;
  }
  std::uint64_t sequence = 1;
  for (auto _ : state) {
    raw_seal(ctx.get(), nonce_for(material.iv, sequence++), content, frame.data());
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
  }
  report(state);
}

// A new EVP_CIPHER_CTX, key schedule included, for every record.
void BM_OpenSSL_Aead_Seal_FreshCtx(benchmark::State& state, CipherSuite suite) {
  auto material = record_key_material(suite);
  const Bytes content(content_size(state), 0x61);
  Bytes frame(frame_size(content.size()));
  {
    auto ctx = keyed_context(material, true);
    raw_seal(ctx.get(), nonce_for(material.iv, 0), content, frame.data());
  }
  if (!same_as_tlslab(material, content, frame)) {
    state.SkipWithError("raw EVP frame differs from tlslab's");
    return;
  }
  std::uint64_t sequence = 1;
  for (auto _ : state) {
    auto ctx = keyed_context(material, true);
    raw_seal(ctx.get(), nonce_for(material.iv, sequence++), content, frame.data());
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
  }
  report(state);
}

void BM_OpenSSL_Aead_SealOpen_ReusedCtx(benchmark::State& state, CipherSuite suite) {
  auto material = record_key_material(suite);
  auto seal_ctx = keyed_context(material, true);
  auto open_ctx = keyed_context(material, false);
  const Bytes content(content_size(state), 0x61);
  Bytes frame(frame_size(content.size()));
  std::uint64_t sequence = 0;
  for (auto _ : state) {
    Nonce nonce = nonce_for(material.iv, sequence++);
    raw_seal(seal_ctx.get(), nonce, content, frame.data());
    if (!raw_open(open_ctx.get(), nonce, content.size(), frame.data())) {
      state.SkipWithError("raw EVP frame does not open");
      break;
    }
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
  }
  report(state);
}

TLSLAB_RECORD_BENCHMARK(BM_OpenSSL_Aead_Seal_ReusedCtx);
TLSLAB_RECORD_BENCHMARK(BM_OpenSSL_Aead_SealOpen_ReusedCtx);
BENCHMARK_CAPTURE(BM_OpenSSL_Aead_Seal_FreshCtx, aes128gcm, CipherSuite::rsa_oaep_aes_128_gcm_sha256)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(16384);

}  // namespace
}  // namespace tlslab::microbench
