"""Drives the real tlslab executables on 127.0.0.1 with ephemeral ports.

Every process started through a Lab is killed and reaped when the Lab closes, whatever happened.
Ports are learned from the programs' own "listening on ADDR:PORT" lines (they bind port 0).
"""
import difflib
import functools
import json
import mmap
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("TLSLAB_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))
START_TIMEOUT = 10.0
CLIENT_TIMEOUT = 30.0
# Set by `--trace` (run_named): every client run through a Lab prints its trace (its stderr), and
# every tlslab-ca command it runs its command line.
TRACE = False


class TestFailure(AssertionError):
    pass


class TestSkipped(Exception):
    """A check that cannot run here (ctest shows it as skipped: exit 77, SKIP_RETURN_CODE)."""


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def skip(reason):
    """Ends the test as skipped, saying why: a check that does not run must not pass."""
    raise TestSkipped(reason)


def wait_until(condition, what, timeout=30.0):
    """Polls `condition` until it returns a true value, which is returned; fails naming `what` at
    the deadline. The deadline is a backstop for a hang, generous on a slow machine: the test waits
    for the event, never for a time."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() >= deadline:
            raise TestFailure(f"{what} (not within {timeout:.0f} s)")
        time.sleep(0.02)


def exe(name):
    return os.path.join(BIN, name)


# The labs not yet closed: a script that replaces itself (os.execv, browser.py's re-exec under the
# system Python) closes them first, or their servers would outlive it.
OPEN_LABS = []


def close_open_labs():
    """Stops every open lab's processes and removes its directory (before an exec)."""
    for lab in list(OPEN_LABS):
        try:
            lab.close()
        finally:
            shutil.rmtree(lab.dir, ignore_errors=True)


class Lab:
    """A temporary directory with a CA, certificates, and the processes of one scenario."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tlslab-e2e-")
        self.processes = []
        self.ca_dirs = {}
        OPEN_LABS.append(self)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.close()
        if exc_type is None or os.environ.get("TLSLAB_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print(f"kept the scenario's files in {self.dir}", file=sys.stderr)

    def close(self):
        if self in OPEN_LABS:
            OPEN_LABS.remove(self)
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.time() + 5
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # Under ASan/UBSan a report in a server's log fails the test, whatever the test saw.
        for name in os.listdir(self.dir):
            if name.endswith(".log"):
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text = f.read()
                for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                    if marker in text:
                        raise TestFailure(f"sanitizer report in {name}:\n{text[text.index(marker) - 200:][:3000]}")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def run(self, *args, timeout=60, check_ok=True, env=None):
        result = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=env)
        if TRACE and os.path.basename(args[0]).startswith("tlslab-"):  # the steps between client runs
            print(f"--- {shlex.join([os.path.basename(args[0]), *args[1:]])}   (exit {result.returncode})", flush=True)
        if check_ok and result.returncode != 0:
            raise TestFailure(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    # --- CA material -------------------------------------------------------------------------
    def make_ca(self, name="ca", key_type="ec-p256"):
        ca_dir = self.path(name)
        os.makedirs(ca_dir, exist_ok=True)
        self.run(exe("tlslab-ca"), "init", "--dir", ca_dir, "--key-type", key_type, "--cn", f"tlslab test {name}")
        self.ca_dirs[name] = ca_dir
        return ca_dir

    def issue(self, ca_dir, name="server", cn="localhost", sans="DNS:localhost,IP:127.0.0.1", extra=()):
        cert, key = self.path(f"{name}.crt"), self.path(f"{name}.key")
        out = self.run(exe("tlslab-ca"), "issue", "--dir", ca_dir, "--cn", cn, "--san", sans, "--out-cert", cert,
                       "--out-key", key, *extra).stdout
        serial = re.search(r"serial\s+([0-9a-f]+)", out).group(1)
        return cert, key, serial

    # --- processes ---------------------------------------------------------------------------
    def start(self, args, pattern, name):
        """Starts a long-running program and waits for the line that names its port."""
        log_path = self.path(f"{name}.log")
        log = open(log_path, "w")
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            with open(log_path) as f:
                text = f.read()
            found = re.search(pattern, text)
            if found:
                return process, int(found.group(1))
            if process.poll() is not None:
                raise TestFailure(f"{name} exited {process.returncode} at start:\n{text}")
            time.sleep(0.02)
        raise TestFailure(f"{name} did not start within {START_TIMEOUT}s:\n{open(log_path).read()}")

    def start_ca(self, ca_dir, http=False, extra=(), listen="127.0.0.1:0"):
        """`listen` another address to start the service again where clients already look for it."""
        args = [exe("tlslab-ca"), "serve", "--dir", ca_dir, "--listen", listen, "--threads", "2", *extra]
        if http:
            args += ["--ocsp-http", "127.0.0.1:0"]
        name = f"ca-{len(self.processes)}"
        process, port = self.start(args, r"status service listening on 127\.0\.0\.1:(\d+)", name)
        http_port = None
        if http:
            text = open(self.path(f"{name}.log")).read()
            http_port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", text).group(1))
        return process, port, http_port

    def start_server(self, cert, key, extra=()):
        args = [exe("tlslab-server"), "--cert", cert, "--key", key, "--listen", "127.0.0.1:0", "--threads", "2", *extra]
        name = f"server-{len(self.processes)}"
        process, port = self.start(args, r"listening on 127\.0\.0\.1:(\d+)", name)
        process.log_path = self.path(f"{name}.log")
        return process, port

    def client(self, server_port, ca_port, trust, extra=(), timeout=CLIENT_TIMEOUT, env=None):
        args = [exe("tlslab-client"), "--connect", f"127.0.0.1:{server_port}", "--ca-service",
                f"127.0.0.1:{ca_port}", "--trust", trust, *extra]
        if "--server-name" not in extra:
            args += ["--server-name", "localhost"]
        result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
        if TRACE:
            print_trace(args, result)
        return result


def print_trace(args, result):
    """The client's trace (its stderr) under the command that made it, for `--trace`."""
    trace = result.stderr if result.stderr.endswith("\n") or not result.stderr else result.stderr + "\n"
    sys.stdout.write(f"--- {shlex.join(['tlslab-client', *args[1:]])}   (exit {result.returncode})\n{trace}")
    sys.stdout.flush()


def nearest_names(name, tests, former_names=None):
    """The names in `tests` closest to `name` (difflib), best first. `former_names` maps names a
    test had before to the one it has now, so an old name points to its new one."""
    former_names = former_names or {}
    query = name.strip().lower().replace("_", "-")
    candidates = {test: test for test in tests}
    candidates.update({old.replace("_", "-"): new for old, new in former_names.items()})
    close = difflib.get_close_matches(query, list(candidates), n=6, cutoff=0.5)
    nearest = []
    for candidate in close:
        if candidates[candidate] not in nearest:
            nearest.append(candidates[candidate])
    return nearest[:3]


def run_named(tests, argv, former_names=None):
    """The command line of every test file: `NAME` runs one test, `NAME --trace` also prints the
    trace of every client it runs, `--list` lists the names, one per line (CMake reads them).
    An unknown NAME gets the nearest names as suggestions, and exit 2."""
    global TRACE
    program = os.path.basename(argv[0])
    usage = f"usage: {program} NAME [--trace] | --list   (exit 0 passed, 1 failed, 77 skipped)"
    args = argv[1:]
    if args == ["--list"]:
        print("\n".join(tests))
        return 0
    if args in (["-h"], ["--help"]):
        print(f"{usage}\n  --trace  also print the client's trace (its stderr) of every run\n"
              f"  --list   the names, one per line")
        return 0
    TRACE = "--trace" in args
    args = [a for a in args if a != "--trace"]
    if len(args) != 1 or args[0].startswith("-"):
        print(usage, file=sys.stderr)
        return 2
    name = args[0]
    if name not in tests:
        nearest = nearest_names(name, tests, former_names)
        hint = f"; did you mean {' or '.join(nearest)}?" if nearest else ""
        print(f"{program}: no test named '{name}'{hint} (--list shows them all)", file=sys.stderr)
        return 2
    try:
        tests[name]()
    except TestFailure as failure:
        print(f"FAILED {name}: {failure}", file=sys.stderr)
        return 1
    except TestSkipped as reason:
        print(f"SKIPPED {name}: {reason}")
        return 77
    print(f"passed {name}")
    return 0


@functools.lru_cache(maxsize=None)
def sanitized():
    """True when the executables were built with ASan (whose quarantine makes RSS meaningless): gcc
    links libasan.so, clang links the runtime in, so look for the runtime's entry point itself."""
    with open(exe("tlslab-server"), "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as image:
        return image.find(b"__asan_init") != -1


def raw_exchange(port, *chunks, timeout=5.0, half_close=False):
    """Sends raw bytes to 127.0.0.1:PORT and returns everything the peer answers until it closes.
    With half_close, our side ends (FIN) after the last chunk, as a client that has nothing more to say."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        for chunk in chunks:
            s.sendall(chunk)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                received += data
        except (socket.timeout, ConnectionResetError):
            pass
        return received


def wait_for_log(path, *needles, timeout=5.0, count=1):
    """The text of the log at PATH once it holds every needle (the first one at least `count` times),
    or at the deadline. The programs log from a thread of their own, so a line can land a moment
    after the event that caused it."""
    deadline = time.time() + timeout
    while True:
        with open(path, errors="replace") as f:
            text = f.read()
        if all(n in text for n in needles) and text.count(needles[0]) >= count:
            return text
        if time.time() >= deadline:
            return text
        time.sleep(0.05)


def free_port():
    """A port with nothing listening on it (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_json_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class Setup:
    """The usual scenario: one CA, one server certificate, CA service and server running."""

    def __init__(self, lab, server_extra=(), ca_http=False, issue_extra=()):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.cert, self.key, self.serial = lab.issue(self.ca_dir, extra=issue_extra)
        self.ca_process, self.ca_port, self.http_port = lab.start_ca(self.ca_dir, http=ca_http)
        self.server_process, self.server_port = lab.start_server(self.cert, self.key, server_extra)

    def client(self, extra=(), **kwargs):
        return self.lab.client(self.server_port, self.ca_port, self.trust, extra, **kwargs)
