#pragma once
// Alerts (PROTOCOL.md §8): the one vocabulary for every failure, on the wire and to the user.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tlslab {

enum class AlertLevel : std::uint8_t { warning = 1, fatal = 2 };

enum class AlertDescription : std::uint8_t {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  record_overflow = 22,
  handshake_failure = 40,
  bad_certificate = 42,
  certificate_revoked = 44,
  certificate_expired = 45,
  certificate_unknown = 46,
  illegal_parameter = 47,
  unknown_ca = 48,
  decode_error = 50,
  decrypt_error = 51,
  protocol_version = 70,
  internal_error = 80,
  unsupported_extension = 110,
  bad_certificate_status_response = 113,
  certificate_required = 116,  // RFC 8446 §6.2: the server requires a client certificate (PROTOCOL.md §7.7)
};

std::string_view to_string(AlertDescription description);
// nullopt for a code this version does not define.
std::optional<AlertDescription> alert_description_from(std::uint8_t code);
std::optional<AlertDescription> alert_description_from(std::string_view name);

// When no alert can be exchanged: the connection itself failed.
enum class TransportFailure : std::uint8_t {
  eof,        // the peer closed the connection between frames, without close_notify
  truncated,  // the peer closed it in the middle of a frame
  timeout,    // a deadline passed (connect, handshake, request, idle, write)
  refused,    // nothing listens there
  broken,     // reset, or another socket error
};
std::string_view to_string(TransportFailure failure);

// The one exception type of the coroutine layer: a failure that ends a session, with `what()`
// told to the user. Origin says who detected it: `local` (we send `alert` to the peer),
// `received` (the peer sent `alert` to us), `transport` (EOF, reset or timeout: no alert can be
// exchanged, and there is none: transport_failure() says what happened).
class ProtocolError : public std::runtime_error {
 public:
  enum class Origin : std::uint8_t { local, received, transport };
  ProtocolError(AlertDescription alert, const std::string& reason, Origin origin = Origin::local)
      : std::runtime_error(reason), alert_(alert), origin_(origin) {}
  ProtocolError(TransportFailure failure, const std::string& reason)
      : std::runtime_error(reason), origin_(Origin::transport), transport_(failure) {}

  // The alert sent or received; nullopt for a transport failure.
  [[nodiscard]] std::optional<AlertDescription> alert() const noexcept {
    if (origin_ == Origin::transport) return std::nullopt;
    return alert_;
  }
  [[nodiscard]] Origin origin() const noexcept { return origin_; }
  [[nodiscard]] std::optional<TransportFailure> transport_failure() const noexcept { return transport_; }

 private:
  AlertDescription alert_ = AlertDescription::internal_error;
  Origin origin_;
  std::optional<TransportFailure> transport_;
};

}  // namespace tlslab
