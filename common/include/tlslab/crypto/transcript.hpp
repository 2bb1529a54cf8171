#pragma once
// Every handshake message of one connection, in order (PROTOCOL.md §7.3). A handshake is a few
// kilobytes and is hashed twice, so the bytes are kept and hashed when Finished needs them.
#include "tlslab/bytes.hpp"
#include "tlslab/cipher_suite.hpp"

namespace tlslab::crypto {

Bytes digest(HashAlgorithm hash, ByteView data);

class Transcript {
 public:
  void add(ByteView handshake_message) { append(messages_, handshake_message); }
  [[nodiscard]] Bytes hash(HashAlgorithm algorithm) const { return digest(algorithm, messages_); }
  [[nodiscard]] const Bytes& messages() const noexcept { return messages_; }

 private:
  Bytes messages_;
};

}  // namespace tlslab::crypto
