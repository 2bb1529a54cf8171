// tlslab-decrypt: the stolen-key lesson (docs/ATTACKS.md, "The stolen key: why forward secrecy").
// Given a recording and the server's private key (or its session-ticket key, §7.8), it does what an attacker would: for
// every tlslab session in the capture it decrypts the PRE-MASTER of arrow 5, derives the SESSION MASTER KEY and the
// record keys, proves them on the client's Finished, and prints the application data of both directions. An ECDHE
// session it cannot open, and says why; nor a resumed one (no PRE-MASTER crossed the wire). With --ticket-key-file it
// opens every ticket offered in the clear: the resumed session and the full handshake that began it, ECDHE or not.
//
// Exit codes: 0 every session opened (or had nothing encrypted), 1 a local error (capture, key
// or key log file), 2 bad command line, 3 a session could not be opened (ECDHE, a key that is not
// its server's, a handshake changed on the wire or that does not decode), 4 no tlslab session in
// the capture.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "decrypt_run.hpp"

int main(int argc, char** argv) {
  using tlslab::decrypt::ExitCode;
  CLI::App app{
      "tlslab-decrypt: what a stolen server key opens in a recorded capture (RSA key transport), and what "
      "it cannot (ECDHE)"};
  app.set_version_flag("--version", "tlslab-decrypt 1.0.0 (protocol tlslab/1.0)");
  tlslab::decrypt::RunSettings settings;
  std::string keylog_out;
  std::size_t max_connection_mib = settings.limits.max_connection_bytes >> 20;
  app.add_option("--key", settings.key_path, "the server's private key, PEM (the stolen one)");
  app.add_option("--ticket-key-file", settings.ticket_key_path,
                 "the server's session-ticket key file, as tlslab-server --ticket-key-file keeps it "
                 "(mode 0600, PROTOCOL.md §7.8): opens every ticket in the capture, the resumed "
                 "sessions and the full handshakes that began them, ECDHE or not");
  app.add_option("capture", settings.capture_path, "the recording: pcap or pcapng (tshark, Wireshark, tcpdump)")
      ->required();
  app.add_option("--keylog-out", keylog_out,
                 "append an NSS key log line (CLIENT_RANDOM) for each session opened; created 0600");
  app.add_flag("--show-secrets", settings.report.show_secrets, "also print each SESSION MASTER KEY");
  app.add_option("--max-connection-mib", max_connection_mib,
                 "follow each TCP connection for this many MiB at most (both directions)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  std::size_t max_capture_mib = settings.limits.max_capture_bytes >> 20;
  app.add_option("--max-capture-mib", max_capture_mib, "keep this many MiB of tlslab connections at most, in all")
      ->capture_default_str()
      ->check(CLI::Range(1, 65536));
  app.add_option("--max-sessions", settings.limits.max_sessions, "keep this many tlslab sessions at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_flag("--stats", settings.stats,
               "print to stderr one line of what reading the capture kept (connections followed at once, "
               "forgotten, bytes kept)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  if (settings.key_path.empty() && settings.ticket_key_path.empty()) {
    std::fprintf(stderr,
                 "tlslab-decrypt: give the stolen key: --key (the server's private key), --ticket-key-file "
                 "(its ticket key file), or both\n");
    return static_cast<int>(ExitCode::usage);
  }
  if (!keylog_out.empty()) settings.keylog_out = keylog_out;
  settings.limits.max_connection_bytes = max_connection_mib << 20;
  settings.limits.max_capture_bytes = max_capture_mib << 20;
  return static_cast<int>(tlslab::decrypt::run(settings, stdout, stderr));
}
