"""The CRL fetch in a real capture (issue 23, PROTOCOL.md §9.3): scripts/capture.sh crl,
crl-revoked and crl-replayed capture the real programs on lo, and Wireshark's own dissectors (no
tlslab.lua) show arrows 3-4 as the fetch: the HTTP dissector finds `GET /crl` and the answer of
type application/pkix-crl, and hands the body to its X.509 dissector, which shows the
CertificateList: the cRLNumber and the revoked serials the client's trace (--trace-json) names.
In crl-replayed it shows the replay itself: the CA's list with the serial, then, from tlslab-mitm,
an older number without it. The tshark command capture.sh prints for the fetch works as printed.

    python3 tests/wireshark/crl_capture_test.py      (exit 0 passed, 1 failed, 77 skipped)

Environment: TLSLAB_BIN (default <repo>/build/bin), CAPTURE_SH (default scripts/capture.sh),
KEEP=1 keeps the work directory.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CAPTURE_SH = os.environ.get("CAPTURE_SH", os.path.join(ROOT, "scripts", "capture.sh"))
FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print(f"FAIL: {message}")
    return condition


class Skip(Exception):
    pass


def capture(work, scenario, home):
    """capture.sh SCENARIO into WORK; (its output, the client's trace steps, the capture's path)."""
    out = os.path.join(work, f"{scenario}.pcapng")
    trace = os.path.join(work, f"{scenario}.trace.json")
    env = dict(os.environ, CAPTURE_QUIET="1", CAPTURE_TRACE_JSON=trace, HOME=home,
               XDG_CONFIG_HOME=os.path.join(home, ".config"))
    result = subprocess.run(["bash", CAPTURE_SH, scenario, "-o", out], capture_output=True, text=True, env=env,
                            timeout=120)
    text = result.stdout + result.stderr
    if result.returncode == 77:
        raise Skip(next((line for line in text.splitlines() if "cannot capture" in line), text.strip()[-300:]))
    if result.returncode != 0:
        raise AssertionError(f"scripts/capture.sh {scenario} exited {result.returncode}:\n{text[-3000:]}")
    steps = [json.loads(line) for line in open(trace)] if os.path.exists(trace) else []
    return text, steps, out


def tshark(pcap, home, display_filter, *fields, decode=()):
    """Wireshark's own dissectors only: no -X lua_script, a private HOME without plugins."""
    args = ["tshark", "-n", "-r", pcap, *decode, "-Y", display_filter, "-T", "fields", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for field in fields:
        args += ["-e", field]
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    check(result.returncode == 0, f"tshark {display_filter!r}: exit {result.returncode}: {result.stderr[-500:]}")
    return [line.split("\t") for line in result.stdout.splitlines() if line.strip()]


def trace_lists(steps):
    """(CRL number, revoked serials) of each arrow 4 of the client's trace that carried a list."""
    return [(s["fields"]["CRL number"], s["fields"]["revoked serials"]) for s in steps
            if s.get("arrow") == 4 and "CRL number" in s.get("fields", {})]


def the_fetch(scenario, text, steps, pcap, home):
    """The request and the answer as Wireshark's HTTP and X.509 dissectors show them; returns the
    lists seen, [(from port, cRLNumber, revoked serials)] in capture order."""
    requests = tshark(pcap, home, 'http.request.uri == "/crl"', "http.request.method", "tcp.dstport")
    answers = tshark(pcap, home, 'http.content_type == "application/pkix-crl"', "http.response.code",
                     "tcp.srcport", "x509af.signedCertificateList_element", "x509ce.CRLNumber",
                     "x509af.userCertificate")
    check(requests and all(r[0] == "GET" for r in requests),
          f"{scenario}: Wireshark's HTTP dissector finds no GET /crl: {requests}")
    check(len(answers) == len(requests), f"{scenario}: {len(requests)} GET /crl but {len(answers)} answers of type "
                                         f"application/pkix-crl: {answers}")
    for answer in answers:
        check(answer[0] == "200", f"{scenario}: the CRL answer's status is {answer[0]!r}, not 200")
        check(answer[2] != "", f"{scenario}: Wireshark's X.509 dissector shows no CertificateList in the body: "
                               f"{answer}")
    # The command capture.sh printed for the CRL fetch, run as printed.
    printed = [line.strip() for line in text.splitlines() if "application/pkix-crl" in line and "tshark -r" in line]
    if check(len(printed) == 1, f"{scenario}: capture.sh printed no (or more than one) tshark command for the "
                                f"CRL fetch:\n{text[-1500:]}"):
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
        shown = subprocess.run(shlex.split(printed[0]), capture_output=True, text=True, env=env, timeout=60)
        lines = [line for line in shown.stdout.splitlines() if line.strip()]
        check(shown.returncode == 0 and len(lines) == len(requests) + len(answers)
              and sum("GET /crl" in line for line in lines) == len(requests),
              f"{scenario}: the printed command showed {lines} (exit {shown.returncode}, {shown.stderr[-300:]})")
    return [(int(a[1]), a[3], [s for s in a[4].split(",") if s]) for a in answers]


def main():
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed")
        return 77
    work = tempfile.mkdtemp(prefix="tlslab-crlcap.")
    home = os.path.join(work, "home")
    os.makedirs(home)
    try:
        # crl: one fetch from the CA, a list of no serial; the CA's number, as the client's trace says.
        text, steps, pcap = capture(work, "crl", home)
        lists = the_fetch("crl", text, steps, pcap, home)
        check(trace_lists(steps) == [(lists[0][1], "0")] if lists else False,
              f"crl: the capture's list {lists} is not the one of the client's trace {trace_lists(steps)}")
        check(lists and lists[0][2] == [], f"crl: the list should name no serial: {lists}")

        # crl-revoked: the serial the client reports is the one in the list Wireshark shows.
        text, steps, pcap = capture(work, "crl-revoked", home)
        lists = the_fetch("crl-revoked", text, steps, pcap, home)
        serial = re.search(r"certificate_revoked \(serial ([0-9a-f]+)", text)
        check(serial, f"crl-revoked: the client did not name the revoked serial:\n{text[-1500:]}")
        check(serial and lists == [(lists[0][0], lists[0][1], [serial.group(1)])],
              f"crl-revoked: Wireshark shows {lists}, the client reported serial {serial and serial.group(1)}")

        # crl-replayed: the CA's list (relayed, with the serial), then an older one from the mitm.
        text, steps, pcap = capture(work, "crl-replayed", home)
        lists = the_fetch("crl-replayed", text, steps, pcap, home)
        port = re.search(r"tlslab-mitm replay-old-crl on 127\.0\.0\.1:(\d+)", text)
        check(port, f"crl-replayed: capture.sh did not say where tlslab-mitm listens:\n{text[-1500:]}")
        if port and check(len(lists) == 3, f"crl-replayed: expected three lists (the CA's, relayed by the mitm, "
                                           f"then the old one): {lists}"):
            mitm = int(port.group(1))
            (_, ca_number, ca_serials), (relayed_from, relayed, relayed_serials), (old_from, old, old_serials) = lists
            check(relayed_from == mitm and old_from == mitm and (relayed, relayed_serials) == (ca_number, ca_serials),
                  f"crl-replayed: the mitm should relay the CA's list first: {lists}")
            check(len(ca_serials) == 1 and old_serials == [] and int(old) < int(ca_number),
                  f"crl-replayed: the replayed list should be older and without the serial: {lists}")
            check("an old list replayed" in text, f"crl-replayed: the client's reason:\n{text[-1500:]}")
    except Skip as e:
        print(f"SKIP: {e}")
        return 77
    except AssertionError as e:
        FAILURES.append(str(e))
        print(f"FAIL: {e}")
    finally:
        if os.environ.get("KEEP") == "1":
            print(f"work dir: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("passed: the CRL fetch shown by Wireshark's own HTTP and X.509 dissectors in crl, crl-revoked, crl-replayed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
