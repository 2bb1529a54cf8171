#pragma once
// Secret bytes (PRE-MASTER, master secret, keys): erased with OPENSSL_cleanse when destroyed,
// never printed by accident (no operator<<), compared in constant time.
#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "tlslab/bytes.hpp"

namespace tlslab {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::size_t size) : bytes_(size) {}
  explicit Secret(ByteView bytes) : bytes_(bytes.begin(), bytes.end()) {}
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)) { other.bytes_.clear(); }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }
  ~Secret() { wipe(); }

  [[nodiscard]] std::uint8_t* data() noexcept { return bytes_.data(); }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes_.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
  [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
  [[nodiscard]] ByteView view() const noexcept { return {bytes_.data(), bytes_.size()}; }
  [[nodiscard]] std::span<std::uint8_t> span() noexcept { return {bytes_.data(), bytes_.size()}; }

  void wipe() noexcept {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }

 private:
  std::vector<std::uint8_t> bytes_;
};

// Constant-time equality (CRYPTO_memcmp); false when the sizes differ.
bool constant_time_equal(ByteView a, ByteView b) noexcept;

}  // namespace tlslab
