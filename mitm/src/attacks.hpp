#pragma once
// The attack catalogue of tlslab-mitm: what each attack does to the frames it relays, and what
// the handshake does about it (docs/ATTACKS.md is generated from the same table).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/frame.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::mitm {

// Relays client↔server frames, client↔CA service frames, or the client's CRL fetch: one HTTP GET
// from the client to the CA's HTTP listener (PROTOCOL.md §9.3).
enum class Link { server, ca, crl };
enum class Direction { to_upstream, to_downstream };  // client→upstream, upstream→client

// One value per attack of the catalogue: the relay decides by kind, never by comparing names.
enum class AttackKind : std::uint8_t {
  flip_byte,
  downgrade_offered,
  downgrade_chosen,
  replace_client_random,
  replace_server_random,
  swap_certificate,
  swap_public_key,
  swap_certificate_and_key,
  corrupt_pre_master,
  wrong_pre_master,
  drop_record,
  duplicate_record,
  reorder_records,
  replay_record,
  truncate_frame,
  inject_garbage,
  stall,
  status_other_certificate,
  status_change_nonce,
  status_replay,
  status_flip_signature,
  status_other_ca,
  // Against the ECDHE suites (PROTOCOL.md §7.6).
  strip_ecdhe_suites,
  replace_key_share,
  replay_key_share,
  change_group,
  invalid_key_share,
  // Against stapling (PROTOCOL.md §9.1): the client runs with --ca-check stapled.
  replay_old_staple,
  strip_staple,
  foreign_staple,
  // Against mutual authentication (§7.7): the server runs with --client-auth require.
  swap_client_certificate,
  replay_certificate_verify,
  // Against the CRL fetch (PROTOCOL.md §9.3): the client runs with --ca-check crl.
  replay_old_crl,
  strip_crl_fetch,
  foreign_crl,
  // Against resumption (PROTOCOL.md §7.8): the client runs with --session-file.
  modify_ticket,
  replay_ticket,
};

struct AttackInfo {
  AttackKind kind;
  std::string_view name;
  Link link;
  std::string_view what;         // what the attacker does
  std::string_view detected_by;  // "client" or "server"
  std::string_view alert;        // the alert the detecting side sends, or the failure it reports
  int client_exit;               // tlslab-client's exit code
  std::string_view why;          // the lesson
  std::string_view needs;        // extra option, if any
};

std::span<const AttackInfo> catalogue();
std::optional<AttackInfo> find_attack(std::string_view name);

struct AttackOptions {
  Bytes substitute_certificate;                       // --substitute-cert: DER of another valid certificate
  Bytes substitute_public_key;                        // its SubjectPublicKeyInfo
  std::string other_upstream;                         // --other-upstream: another CA service
  Bytes substitute_staple;                            // --substitute-staple: DER OCSPResponse about another certificate
  Bytes substitute_crl;                               // --substitute-crl: DER of an older list of the same CA
  Direction flip_direction = Direction::to_upstream;  // flip-byte
  std::size_t flip_frame = 0;                         // index of the frame in that direction
  std::size_t flip_offset = 41;                       // offset in the fragment
};

// What to do with one frame.
struct Verdict {
  std::vector<Bytes> send;   // frames (or raw bytes) to write, in order; empty = drop
  bool close_after = false;  // then close both connections
  bool stall = false;        // stop relaying this direction (hold the frame forever)
  bool reply = false;        // send back to where the frame came from (status-replay)
};

// What to do with one CRL request (Link::crl), read whole from the client.
struct CrlVerdict {
  enum class Action { relay, answer, close } action = Action::relay;
  Bytes answer;  // Action::answer: the whole HTTP response to send, then close
};
// replay-old-crl relays the first fetch to the CA and answers every later one with the older list;
// strip-crl-fetch closes without an answer; foreign-crl relays (to the other CA, chosen by the
// caller). `head`: a HEAD request, answered without the body. Sets `fired` when the attack acts.
CrlVerdict on_crl_request(const AttackInfo& info, const AttackOptions& options, bool head, bool& fired);

// The per-connection state of one attack.
class Attack {
 public:
  Attack(AttackInfo info, const AttackOptions& options) : info_(info), options_(options) {}
  // `frame` is header || fragment, as read from the wire.
  Verdict on_frame(Direction direction, Bytes frame);
  [[nodiscard]] const AttackInfo& info() const noexcept { return info_; }
  [[nodiscard]] bool fired() const noexcept { return fired_; }

  // status-replay and replay-key-share keep what they recorded across connections.
  static Bytes& recorded_status_response();
  static std::optional<ServerKeyShare>& recorded_key_share();
  // replay-old-staple and replay-certificate-verify, likewise.
  static Bytes& recorded_staple();
  static Bytes& recorded_certificate_verify();
  // replay-ticket: the first ticket offered, put into later ClientHellos.
  static Bytes& recorded_ticket();

 private:
  // The client↔server link, by phase of the handshake.
  Verdict server_link(Direction direction, Bytes& frame);
  Verdict on_client_hello(Bytes& frame);
  Verdict on_server_hello(Bytes& frame);
  bool tamper_key_share(ServerHello& hello);
  bool tamper_staple(ServerHello& hello);
  template <class KeyExchangeForm>
  Verdict tamper_client_authentication(Bytes& frame);
  Verdict on_client_key_exchange(Bytes& frame);
  Verdict on_server_record(Bytes& frame);
  Verdict ca_link(Direction direction, Bytes& frame);

  AttackInfo info_;
  const AttackOptions& options_;
  std::size_t frames_[2] = {0, 0};            // per direction
  std::size_t protected_frames_[2] = {0, 0};  // per direction
  std::vector<Bytes> held_;                   // reorder-records / replay-record
  std::optional<KeyExchange> key_exchange_;   // the suite's, from the ServerHello: arrow 5's form
  bool fired_ = false;
};

}  // namespace tlslab::mitm
