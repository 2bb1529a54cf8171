// tlslab-microbench: times tlslab's codec and crypto beside the raw OpenSSL calls they wrap.
// Arguments are Google Benchmark's (--benchmark_filter, --benchmark_min_time, ...).
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>

#include "test_pki.hpp"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("openssl", OpenSSL_version(OPENSSL_VERSION));
  // RSA key generation for the test PKI takes a while: do it before the first timing starts.
  static_cast<void>(tlslab::test::test_pki());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
