#include "exit_codes.hpp"

namespace tlslab::client {

ExitCode exit_code_for(const Ending& ending, bool offered_certificate) {
  if (!ending.by_alert()) return ending.kind == SessionEnd::closed ? ExitCode::ok : ExitCode::connection_failed;
  if (ending.kind == SessionEnd::peer_alert) {
    switch (*ending.alert) {
      case AlertDescription::certificate_required: return ExitCode::client_certificate_refused;
      case AlertDescription::unknown_ca:
      case AlertDescription::bad_certificate:
      case AlertDescription::certificate_expired:
      case AlertDescription::certificate_revoked:
      case AlertDescription::certificate_unknown:
      case AlertDescription::bad_certificate_status_response:
        if (offered_certificate) return ExitCode::client_certificate_refused;
        break;
      default: break;
    }
  }
  switch (*ending.alert) {
    case AlertDescription::unknown_ca:
    case AlertDescription::bad_certificate:
    case AlertDescription::certificate_expired: return ExitCode::certificate_rejected;
    case AlertDescription::certificate_revoked:
    case AlertDescription::certificate_unknown: return ExitCode::certificate_status;
    case AlertDescription::bad_certificate_status_response: return ExitCode::ca_check_failed;
    case AlertDescription::handshake_failure:
    case AlertDescription::protocol_version:
    case AlertDescription::illegal_parameter:
    case AlertDescription::unsupported_extension: return ExitCode::negotiation_failed;
    case AlertDescription::bad_record_mac:
    case AlertDescription::decrypt_error: return ExitCode::integrity_failed;
    case AlertDescription::internal_error:
      return ending.kind == SessionEnd::our_alert ? ExitCode::local_error : ExitCode::protocol_error;
    default: return ExitCode::protocol_error;
  }
}

}  // namespace tlslab::client
