"""Behaviours docs/PROTOCOL.md pins down where an implementation written from it had to guess,
each against the real programs with hand-built frames (tests/lib/tlslab_wire.py).

Run one:   python3 tests/e2e/spec.py ca_rejects_another_frame_version
List them: python3 tests/e2e/spec.py --list
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Lab, Setup, check, raw_exchange, run_named, wait_for_log  # noqa: E402
from tlslab_wire import alert, client_hello, client_key_exchange, frame, split_frames, vec16, u8, u24  # noqa: E402

TESTS = {}
CT_ALERT, CT_HANDSHAKE, CT_PROTECTED = 21, 22, 23
BAD_RECORD_MAC, DECODE_ERROR, PROTOCOL_VERSION, HANDSHAKE_FAILURE = 20, 50, 70, 40


def test(function):
    TESTS[function.__name__] = function
    return function


def alerts_in(answer):
    return [f[5:] for f in split_frames(answer) if f[0] == CT_ALERT]


# §9: the CA answers a frame of another version with protocol_version, like the server (§2).
@test
def ca_rejects_another_frame_version():
    with Lab() as lab:
        setup = Setup(lab)
        request = struct.pack(">BHH", CT_HANDSHAKE, 0x0200, 4) + b"\x40\x00\x00\x00"
        check(alerts_in(raw_exchange(setup.ca_port, request)) == [alert(PROTOCOL_VERSION)],
              "the CA must answer a frame of version 0x0200 with protocol_version")


# §7.1: an encrypted_pre_master that is empty does not decode.
@test
def empty_pre_master_is_a_decode_error():
    with Lab() as lab:
        setup = Setup(lab)
        empty = u8(16) + u24(2) + b"\x00\x00"  # ClientKeyExchange with encrypted_pre_master<0>
        answer = raw_exchange(setup.server_port, frame(CT_HANDSHAKE, client_hello(os.urandom(32))),
                              frame(CT_HANDSHAKE, empty))
        check(alerts_in(answer) == [alert(DECODE_ERROR)], f"expected decode_error, got {answer.hex()[-40:]}")


# §7.1: any other length than the modulus is a failed decryption, said nowhere but at Finished.
@test
def short_pre_master_fails_only_at_finished():
    with Lab() as lab:
        setup = Setup(lab)
        for length in (10, 255, 257):
            answer = raw_exchange(setup.server_port, frame(CT_HANDSHAKE, client_hello(os.urandom(32))),
                                  frame(CT_HANDSHAKE, client_key_exchange(os.urandom(length))),
                                  frame(CT_PROTECTED, os.urandom(40)), half_close=True)
            check(alerts_in(answer) == [alert(BAD_RECORD_MAC)],
                  f"a {length}-byte encrypted_pre_master: expected bad_record_mac at Finished, got {answer.hex()[-40:]}")


# §8: a warning alert other than close_notify ends the session as a fatal one does; nothing is
# sent back.
@test
def warning_alert_ends_the_session():
    with Lab() as lab:
        setup = Setup(lab)
        answer = raw_exchange(setup.server_port, frame(CT_HANDSHAKE, client_hello(os.urandom(32))),
                              frame(CT_ALERT, alert(HANDSHAKE_FAILURE, level=1)))
        frames = split_frames(answer)
        check([f[0] for f in frames] == [CT_HANDSHAKE], f"expected only the ServerHello back, got {answer.hex()[:60]}")
        log = wait_for_log(setup.server_process.log_path, "client sent alert handshake_failure")
        check("client sent alert handshake_failure" in log, f"the server should log the alert:\n{log[-1500:]}")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
