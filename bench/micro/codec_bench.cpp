// The codec: frame headers (read for every frame received) and the two hellos (once per handshake).
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "fixtures.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/frame.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::microbench {
namespace {

ClientHello sample_client_hello() {
  ClientHello hello;
  hello.random = crypto::random_hello_value();
  for (CipherSuite suite : default_suites()) hello.cipher_suites.push_back(static_cast<std::uint16_t>(suite));
  hello.set_server_name(test::server_dns_name);
  return hello;
}

void BM_FrameHeader_Encode(benchmark::State& state) {
  FrameHeader header{ContentType::protected_record, ProtocolVersion::tlslab_1_0, 1024 + 1 + aead_tag_size};
  for (auto _ : state) {
    benchmark::DoNotOptimize(header);
    auto encoded = header.encode();
    benchmark::DoNotOptimize(encoded);
  }
}
BENCHMARK(BM_FrameHeader_Encode);

void BM_FrameHeader_Decode(benchmark::State& state) {
  auto encoded =
      FrameHeader{ContentType::protected_record, ProtocolVersion::tlslab_1_0, 1024 + 1 + aead_tag_size}.encode();
  for (auto _ : state) {
    benchmark::DoNotOptimize(encoded);
    auto header = FrameHeader::decode(encoded);
    if (!header) {
      state.SkipWithError("frame header does not decode");
      break;
    }
    benchmark::DoNotOptimize(header->length);
  }
}
BENCHMARK(BM_FrameHeader_Decode);

// encode_handshake: what the sender puts in the frame and the transcript (msg_type || length || body).
template <HandshakeMessage T>
void encode_benchmark(benchmark::State& state, const T& message) {
  std::size_t size = 0;
  for (auto _ : state) {
    Bytes encoded = encode_handshake(message);
    size = encoded.size();
    benchmark::DoNotOptimize(encoded.data());
  }
  state.SetLabel(std::to_string(size) + " B message");
}

template <HandshakeMessage T>
void decode_benchmark(benchmark::State& state, const T& message) {
  const Bytes encoded = encode_handshake(message);
  for (auto _ : state) {
    auto decoded = decode_handshake<T>(encoded);
    if (!decoded) {
      state.SkipWithError("message does not decode");
      break;
    }
    benchmark::DoNotOptimize(decoded->random.data());
  }
  state.SetLabel(std::to_string(encoded.size()) + " B message");
}

void BM_ClientHello_Encode(benchmark::State& state) {
  encode_benchmark(state, sample_client_hello());
}
BENCHMARK(BM_ClientHello_Encode);

void BM_ClientHello_Decode(benchmark::State& state) {
  decode_benchmark(state, sample_client_hello());
}
BENCHMARK(BM_ClientHello_Decode);

void BM_ServerHello_Encode(benchmark::State& state) {
  encode_benchmark(state, sample_server_hello());
}
BENCHMARK(BM_ServerHello_Encode);

void BM_ServerHello_Decode(benchmark::State& state) {
  decode_benchmark(state, sample_server_hello());
}
BENCHMARK(BM_ServerHello_Decode);

}  // namespace
}  // namespace tlslab::microbench
