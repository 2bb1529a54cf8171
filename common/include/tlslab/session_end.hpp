#pragma once
// How a session ended, decided in one place for the three programs: the log line, the trace's
// last line and the client's exit code all follow from this value, never from comparing what()
// strings (PROTOCOL.md §8, §10).
#include <optional>
#include <string>
#include <string_view>

#include "tlslab/alert.hpp"

namespace tlslab {

enum class SessionEnd : std::uint8_t {
  closed,       // close_notify: the end the protocol intends (§10)
  peer_closed,  // EOF between frames without close_notify (reported as a truncation of the session)
  truncated,    // EOF in the middle of a frame
  timed_out,    // a deadline passed
  refused,      // could not connect
  broken,       // reset, or another socket error
  peer_alert,   // the peer sent a fatal alert
  our_alert,    // we found the failure, and sent the alert
};
std::string_view to_string(SessionEnd end);

struct Ending {
  SessionEnd kind = SessionEnd::closed;
  std::optional<AlertDescription> alert;  // for peer_alert and our_alert
  std::string reason;                     // what() of the failure; empty when closed

  [[nodiscard]] bool by_alert() const noexcept {
    return kind == SessionEnd::peer_alert || kind == SessionEnd::our_alert;
  }
  [[nodiscard]] bool transport() const noexcept { return !by_alert() && kind != SessionEnd::closed; }
};

// nullopt: the session ended as the protocol says. A close_notify received as an exception is a
// clean close too.
Ending ending_of(const std::optional<ProtocolError>& failure);

}  // namespace tlslab
