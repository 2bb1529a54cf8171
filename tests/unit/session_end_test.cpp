// How a session ended (session_end.hpp): one classification for every program, and the client's
// exit code from it.
#include <gtest/gtest.h>

#include "exit_codes.hpp"
#include "tlslab/session_end.hpp"

namespace tlslab {
namespace {

TEST(Ending, ClassifiesEveryWayASessionEnds) {
  EXPECT_EQ(ending_of(std::nullopt).kind, SessionEnd::closed);
  EXPECT_EQ(ending_of(ProtocolError(AlertDescription::close_notify, "bye", ProtocolError::Origin::received)).kind,
            SessionEnd::closed);
  auto ours = ending_of(ProtocolError(AlertDescription::decode_error, "bad"));
  EXPECT_EQ(ours.kind, SessionEnd::our_alert);
  EXPECT_EQ(ours.alert, AlertDescription::decode_error);
  EXPECT_EQ(ours.reason, "bad");
  auto theirs =
      ending_of(ProtocolError(AlertDescription::bad_record_mac, "peer sent", ProtocolError::Origin::received));
  EXPECT_EQ(theirs.kind, SessionEnd::peer_alert);
  EXPECT_EQ(theirs.alert, AlertDescription::bad_record_mac);
  EXPECT_EQ(ending_of(ProtocolError(TransportFailure::eof, "x")).kind, SessionEnd::peer_closed);
  EXPECT_EQ(ending_of(ProtocolError(TransportFailure::truncated, "x")).kind, SessionEnd::truncated);
  EXPECT_EQ(ending_of(ProtocolError(TransportFailure::timeout, "x")).kind, SessionEnd::timed_out);
  EXPECT_EQ(ending_of(ProtocolError(TransportFailure::refused, "x")).kind, SessionEnd::refused);
  EXPECT_EQ(ending_of(ProtocolError(TransportFailure::broken, "x")).kind, SessionEnd::broken);
}

TEST(Ending, ATransportFailureCarriesNoAlert) {
  ProtocolError error(TransportFailure::timeout, "slow");
  EXPECT_EQ(error.alert(), std::nullopt);
  EXPECT_EQ(error.transport_failure(), TransportFailure::timeout);
  EXPECT_EQ(ending_of(error).alert, std::nullopt);
}

TEST(ExitCode, FollowsTheEnding) {
  using client::exit_code_for;
  using client::ExitCode;
  EXPECT_EQ(exit_code_for(ending_of(ProtocolError(TransportFailure::refused, "x"))), ExitCode::connection_failed);
  EXPECT_EQ(exit_code_for(ending_of(ProtocolError(AlertDescription::certificate_revoked, "x"))),
            ExitCode::certificate_status);
  EXPECT_EQ(exit_code_for(ending_of(ProtocolError(AlertDescription::internal_error, "x"))), ExitCode::local_error);
  EXPECT_EQ(
      exit_code_for(ending_of(ProtocolError(AlertDescription::internal_error, "x", ProtocolError::Origin::received))),
      ExitCode::protocol_error);
  EXPECT_EQ(
      exit_code_for(ending_of(ProtocolError(AlertDescription::decrypt_error, "x", ProtocolError::Origin::received))),
      ExitCode::integrity_failed);
}

}  // namespace
}  // namespace tlslab
