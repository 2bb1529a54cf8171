#pragma once
// Result<T>: the return type of every decoder of untrusted bytes. Decoding never throws; a
// failure carries the alert the protocol prescribes and a human reason.
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "tlslab/alert.hpp"

namespace tlslab {

struct Failure {
  AlertDescription alert;
  std::string reason;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Failure failure) : state_(std::move(failure)) {}  // NOLINT: implicit by design

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] T& value() & { return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
  [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
  [[nodiscard]] const Failure& failure() const { return std::get<1>(state_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Throws ProtocolError on failure: the bridge from pure decoders to the coroutine layer.
  T take() && {
    if (!ok()) throw ProtocolError(failure().alert, failure().reason);
    return std::get<0>(std::move(state_));
  }

 private:
  std::variant<T, Failure> state_;
};

// A check that returns nothing but may fail (check_finished, require_good): Result<void>.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure failure) : failure_(std::move(failure)) {}  // NOLINT: implicit by design

  [[nodiscard]] bool ok() const noexcept { return !failure_; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] const Failure& failure() const { return *failure_; }
  // Throws ProtocolError on failure.
  void take() && {
    if (failure_) throw ProtocolError(failure_->alert, failure_->reason);
  }

 private:
  std::optional<Failure> failure_;
};

inline Failure fail(AlertDescription alert, std::string reason) {
  return Failure{alert, std::move(reason)};
}

}  // namespace tlslab
