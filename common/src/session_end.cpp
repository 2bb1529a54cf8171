#include "tlslab/session_end.hpp"

namespace tlslab {

std::string_view to_string(SessionEnd end) {
  switch (end) {
    case SessionEnd::closed: return "closed";
    case SessionEnd::peer_closed: return "peer closed without close_notify";
    case SessionEnd::truncated: return "truncated";
    case SessionEnd::timed_out: return "timed out";
    case SessionEnd::refused: return "refused";
    case SessionEnd::broken: return "broken";
    case SessionEnd::peer_alert: return "alert received";
    case SessionEnd::our_alert: return "alert sent";
  }
  return "unknown";
}

Ending ending_of(const std::optional<ProtocolError>& failure) {
  if (!failure) return {};
  Ending ending{SessionEnd::closed, failure->alert(), failure->what()};
  switch (failure->origin()) {
    case ProtocolError::Origin::local: ending.kind = SessionEnd::our_alert; break;
    case ProtocolError::Origin::received:
      if (failure->alert() == AlertDescription::close_notify) return {};
      ending.kind = SessionEnd::peer_alert;
      break;
    case ProtocolError::Origin::transport:
      switch (failure->transport_failure().value_or(TransportFailure::broken)) {
        case TransportFailure::eof: ending.kind = SessionEnd::peer_closed; break;
        case TransportFailure::truncated: ending.kind = SessionEnd::truncated; break;
        case TransportFailure::timeout: ending.kind = SessionEnd::timed_out; break;
        case TransportFailure::refused: ending.kind = SessionEnd::refused; break;
        case TransportFailure::broken: ending.kind = SessionEnd::broken; break;
      }
      break;
  }
  return ending;
}

}  // namespace tlslab
