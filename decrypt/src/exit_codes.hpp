#pragma once
// tlslab-decrypt's exit codes, one per outcome a script may want to tell apart (README.md,
// "tlslab-decrypt", and docs/ATTACKS.md, "The stolen key").
namespace tlslab::decrypt {

enum class ExitCode : int {
  ok = 0,                  // every tlslab session of the capture was opened (or had nothing encrypted)
  local_error = 1,         // the capture, the key or the key log could not be read or written
  usage = 2,               // bad command line
  session_not_opened = 3,  // a session could not be opened: ECDHE, a key that is not its server's,
                           // or frames that do not decode
  no_session = 4,          // the capture holds no tlslab session
};

}  // namespace tlslab::decrypt
