#include "tlslab/alert.hpp"

#include <array>
#include <utility>

namespace tlslab {
namespace {

constexpr std::array alert_names{
    std::pair{AlertDescription::close_notify, std::string_view("close_notify")},
    std::pair{AlertDescription::unexpected_message, std::string_view("unexpected_message")},
    std::pair{AlertDescription::bad_record_mac, std::string_view("bad_record_mac")},
    std::pair{AlertDescription::record_overflow, std::string_view("record_overflow")},
    std::pair{AlertDescription::handshake_failure, std::string_view("handshake_failure")},
    std::pair{AlertDescription::bad_certificate, std::string_view("bad_certificate")},
    std::pair{AlertDescription::certificate_revoked, std::string_view("certificate_revoked")},
    std::pair{AlertDescription::certificate_expired, std::string_view("certificate_expired")},
    std::pair{AlertDescription::certificate_unknown, std::string_view("certificate_unknown")},
    std::pair{AlertDescription::illegal_parameter, std::string_view("illegal_parameter")},
    std::pair{AlertDescription::unknown_ca, std::string_view("unknown_ca")},
    std::pair{AlertDescription::decode_error, std::string_view("decode_error")},
    std::pair{AlertDescription::decrypt_error, std::string_view("decrypt_error")},
    std::pair{AlertDescription::protocol_version, std::string_view("protocol_version")},
    std::pair{AlertDescription::internal_error, std::string_view("internal_error")},
    std::pair{AlertDescription::unsupported_extension, std::string_view("unsupported_extension")},
    std::pair{AlertDescription::bad_certificate_status_response, std::string_view("bad_certificate_status_response")},
    std::pair{AlertDescription::certificate_required, std::string_view("certificate_required")},
};

}  // namespace

std::string_view to_string(AlertDescription description) {
  for (const auto& [code, name] : alert_names) {
    if (code == description) return name;
  }
  return "unknown_alert";
}

std::optional<AlertDescription> alert_description_from(std::uint8_t code) {
  for (const auto& [known, name] : alert_names) {
    if (static_cast<std::uint8_t>(known) == code) return known;
  }
  return std::nullopt;
}

std::optional<AlertDescription> alert_description_from(std::string_view wanted) {
  for (const auto& [code, name] : alert_names) {
    if (name == wanted) return code;
  }
  return std::nullopt;
}

std::string_view to_string(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::eof: return "eof";
    case TransportFailure::truncated: return "truncated";
    case TransportFailure::timeout: return "timeout";
    case TransportFailure::refused: return "refused";
    case TransportFailure::broken: return "broken";
  }
  return "unknown";
}

}  // namespace tlslab
