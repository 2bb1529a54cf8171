#pragma once
// Shared by the libFuzzer targets in this directory: the crash rule (an invariant that does not
// hold is a bug: print it and abort so libFuzzer saves the input), the handshake-message round
// trip every message fuzzer runs, and the fixed PKI some targets check against.
//
// Decoders of untrusted bytes must not throw (STYLE.md, "Errors"): no target catches exceptions,
// so one escaping is reported by libFuzzer as a crash with the input that caused it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/frame.hpp"
#include "tlslab/messages.hpp"

#ifndef TLSLAB_FUZZ_PKI_DIR
#error "TLSLAB_FUZZ_PKI_DIR must name tests/fuzz/pki (set by tests/fuzz/CMakeLists.txt)"
#endif

namespace tlslab::fuzz {

[[noreturn]] inline void violated(const char* invariant) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", invariant);
  std::fflush(stderr);
  std::abort();
}

inline void require(bool holds, const char* invariant) {
  if (!holds) violated(invariant);
}

inline bool same_bytes(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// A complete handshake message (msg_type || uint24 length || body, PROTOCOL.md §3), as the
// fragment of a `handshake` frame. Both entry points the channel uses are exercised; when T
// decodes, encoding it again must give back exactly the input bytes (the codec has one encoding
// per value), and decoding that again must give the same value. Returns the decoded message.
template <HandshakeMessage T>
std::optional<T> check_handshake_message(ByteView message) {
  auto envelope = decode_handshake_envelope(message);
  auto decoded = decode_handshake<T>(message);

  if (envelope) {
    require(envelope->body.size() + 4 == message.size(), "envelope body is the message minus its 4-byte header");
    require(to_string(envelope->type) != "unknown", "envelope accepted an unknown msg_type");
    // The two-step path (envelope, then T::decode on the body) must agree with decode_handshake.
    if (envelope->type == T::type) {
      Reader body(envelope->body, to_string(T::type));
      auto direct = T::decode(body);
      require((direct.ok() && body.empty()) == decoded.ok(),
              "T::decode on the envelope body disagrees with decode_handshake<T>");
    } else {
      require(!decoded && decoded.failure().alert == AlertDescription::unexpected_message,
              "a message of another type must be unexpected_message");
    }
  } else {
    require(!decoded, "decode_handshake<T> accepted a message the envelope rejects");
    require(decoded.failure().alert == envelope.failure().alert,
            "envelope and decode_handshake<T> report different alerts");
  }
  if (!decoded) {
    require(!decoded.failure().reason.empty(), "a decode failure carries a reason");
    return std::nullopt;
  }

  Bytes again = encode_handshake(decoded.value());
  if (!same_bytes(again, message)) violated("re-encoding a decoded handshake message does not reproduce its bytes");
  auto twice = decode_handshake<T>(again);
  require(twice.ok() && twice.value() == decoded.value(), "decode(encode(decode(x))) differs from decode(x)");

  // What the channel sends: one frame, whose header must decode back to itself.
  if (message.size() <= max_plaintext) {
    Bytes frame = encode_frame(ContentType::handshake, message);
    auto header = FrameHeader::decode(ByteView(frame).first(frame_header_size));
    require(header.ok() && header->type == ContentType::handshake && header->length == message.size(),
            "the frame of a decoded message does not decode");
  }
  return std::move(decoded).value();
}

// tests/fuzz/pki, written by make_corpus.py from the same run that produced the seeds: the CA
// certificate (trust anchor), a good and a revoked server certificate, and the time the seeds were
// made, so that checks of validity periods and OCSP freshness give the same answer every day.
inline std::string pki_path(const std::string& name) {
  return std::string(TLSLAB_FUZZ_PKI_DIR) + "/" + name;
}

inline std::time_t pki_generated_at() {
  std::ifstream in(pki_path("generated_at"));
  long long seconds = 0;
  if (!(in >> seconds) || seconds <= 0) {
    throw std::runtime_error("cannot read " + pki_path("generated_at") + ": run tests/fuzz/make_corpus.py");
  }
  return static_cast<std::time_t>(seconds);
}

inline ossl::X509Ptr pki_certificate(const std::string& name) {
  return crypto::load_certificate_pem(pki_path(name));
}

inline ossl::X509Ptr share(X509* certificate) {
  ossl::check(X509_up_ref(certificate) == 1, "X509_up_ref");
  return ossl::X509Ptr(certificate);
}

inline crypto::TrustStore trust_store_of(X509* anchor) {
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(share(anchor));
  return crypto::TrustStore(std::move(anchors));
}

}  // namespace tlslab::fuzz
