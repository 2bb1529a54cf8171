// What tracing arrow 2 costs: describing the ServerHello (its fields as text, the CERTIFICATE's
// subject and serial), recording the frame's bytes and spans, and rendering the event. With no
// renderer (tlslab-bench's quiet trace, --quiet) the handshake must pay for none of it: the
// SessionTrace returns before the description is built, and the frame is never spanned.
#include <benchmark/benchmark.h>

#include <cstdio>

#include "fixtures.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/frame.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::microbench {
namespace {

// One ServerHello event into `trace`, as the client's handshake emits it: the frame (bytes and
// spans) only when the trace records frames, the fields only when a renderer will read them.
void emit_server_hello(benchmark::State& state, Trace& trace) {
  const ServerHello hello = sample_server_hello();
  X509* certificate = test::test_pki().server_certificate.get();
  const FlowStep& step = seed_flow().steps[1];
  SessionTrace session(trace, 1);
  for (auto _ : state) {
    std::optional<WireFrame> frame;
    if (session.enabled()) {
      EncodedMessage encoded = encode_handshake_with_spans(hello);
      frame = WireFrame{encode_frame(ContentType::handshake, encoded.bytes), clear_frame_spans(encoded.spans), {}, {}};
    }
    session.arrow(step, std::move(frame), [&] { return describe::server_hello(hello, certificate, true); });
  }
}

void BM_Trace_ServerHello_NoRenderer(benchmark::State& state) {
  TraceOptions options;
  options.text = false;
  Trace trace(options);
  emit_server_hello(state, trace);
}
BENCHMARK(BM_Trace_ServerHello_NoRenderer);

void BM_Trace_ServerHello_Terminal(benchmark::State& state) {
  std::FILE* sink = std::fopen("/dev/null", "w");
  require(sink != nullptr, "open /dev/null");
  {
    TraceOptions options;
    options.out = sink;
    Trace trace(options);
    emit_server_hello(state, trace);
    trace.finish();
  }
  std::fclose(sink);
}
BENCHMARK(BM_Trace_ServerHello_Terminal);

void BM_Trace_ServerHello_JsonLines(benchmark::State& state) {
  TraceOptions options;
  options.text = false;
  options.json_path = "/dev/null";
  Trace trace(options);
  emit_server_hello(state, trace);
  trace.finish();
}
BENCHMARK(BM_Trace_ServerHello_JsonLines);

}  // namespace
}  // namespace tlslab::microbench
