"""The first run, as a new user meets it (issue 22 point 11): the README says what "the seed" is
where it first names it, and the seed's diagram is in docs/ (its PlantUML source and the picture
drawn from it); the README's three terminals, run as written (but for the ports), show the same
SESSION MASTER KEY on both sides and no page body in the client's terminal; the README's CA
synopsis names every option `tlslab-ca SUBCOMMAND --help` has; `openssl ocsp` against the CA's
HTTP endpoint is traced in the CA's terminal like the framed requests; scripts/capture.sh as root
never calls sudo, as a user without root or sudo says so in one line, and prints commands without
`-X lua_script:` once scripts/wireshark/install.sh has installed the dissector.

Run one:   python3 tests/e2e/first_run.py readme-three-terminals
List them: python3 tests/e2e/first_run.py --list
"""
import http.client
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Lab, check, exe, free_port, run_named, skip, wait_for_log, wait_until  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
README = os.path.join(ROOT, "README.md")
SEED_PUML = os.path.join(ROOT, "docs", "seed.puml")
SEED_SVG = os.path.join(ROOT, "docs", "seed.svg")
# The note the lab was built from, where the lab's machine keeps it (DESIGN.md); TLSLAB_SEED to
# point elsewhere. The diagram in docs/seed.puml must be its plantuml block, line for line.
SEED_NOTE = os.environ.get("TLSLAB_SEED", os.path.join(ROOT, "..", "shared", "seed", "000_61d6d8ea29eb80a4.txt"))
MASTER_KEY = re.compile(r"SESSION MASTER KEY\s+([0-9a-f]{96})\b")
TESTS = {}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


def readme():
    with open(README) as f:
        return f.read()


def readme_section(title):
    found = re.search(rf"^## {re.escape(title)}[^\n]*\n(.*?)(?=^## )", readme(), re.S | re.M)
    check(found, f"README.md has no '## {title}' section")
    return found.group(1)


def code_blocks(text):
    return re.findall(r"^```(?:sh|bash)?\n(.*?)^```", text, re.S | re.M)


def commands_by_heading(block):
    """[(heading, command)] of a README code block: each command with its continuation lines joined,
    under the comment that precedes it, its lines joined ("terminal 1: the CA's ...", "once: ...")."""
    commands, heading, commented = [], "", False
    for line in block.replace("\\\n", " ").splitlines():
        if line.startswith("#"):
            text = line.lstrip("# ").strip()
            heading = heading + " " + text if commented else text
            commented = True
            continue
        commented = False
        if line.strip():
            commands.append((heading, re.sub(r"\s+", " ", line.strip())))
    return commands


def user_desk(lab):
    """A directory like the top of a checkout, where the README's relative paths work (build/bin
    is the build under test; certs/ is empty)."""
    desk = lab.path("desk")
    os.makedirs(os.path.join(desk, "build"))
    os.symlink(os.path.abspath(BIN), os.path.join(desk, "build", "bin"))
    os.symlink(os.path.join(ROOT, "scripts"), os.path.join(desk, "scripts"))
    os.makedirs(os.path.join(desk, "certs"))
    return desk


class ReadmeTerminals:
    """The README's three terminals, run as written in a user's desk, ports aside: each long-running
    command listens on a free port instead of the README's, and later commands use those ports."""

    def __init__(self, lab, section="The three programs by hand", desk=None):
        self.lab = lab
        self.desk = desk or user_desk(lab)
        self.ports = {}  # the README's port -> the one used
        blocks = code_blocks(readme_section(section))
        check(blocks, f"README's '{section}' has no code block")
        self.commands = commands_by_heading(blocks[0])

    def command(self, heading):
        return self.commented(heading)[1]

    def commented(self, heading):
        """(comment, command) of the one command whose comment starts with `heading`."""
        found = [(h, c) for h, c in self.commands if h.startswith(heading)]
        check(len(found) == 1, f"README: expected one command under '# {heading}', found {found}")
        return found[0]

    def once(self):
        for heading, command in self.commands:
            if heading.startswith("once"):
                self.shell(command)

    def adapt(self, command):
        return re.sub(r"(127\.0\.0\.1|localhost):(\d+)",
                      lambda m: f"{m.group(1)}:{self.ports.get(int(m.group(2)), m.group(2))}", command)

    def shell(self, command, check_ok=True):
        result = subprocess.run(["bash", "-c", self.adapt(command)], cwd=self.desk, capture_output=True, text=True,
                                timeout=60)
        check(not check_ok or result.returncode == 0,
              f"the README's `{command}` exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self, heading, name):
        """Starts the README's command under `heading` with its --listen/--ocsp-http ports free; returns
        the path of its terminal (stdout and stderr)."""
        command = self.command(heading)
        asked = {flag: int(port) for flag, port in re.findall(r"(--listen|--ocsp-http) 127\.0\.0\.1:(\d+)", command)}
        command = self.adapt(re.sub(r"(--listen|--ocsp-http) 127\.0\.0\.1:\d+", r"\1 127.0.0.1:0", command))
        args = ["bash", "-c", f"cd {shlex.quote(self.desk)} && exec {command}"]
        self.lab.start(args, r"listening on (?:http://)?127\.0\.0\.1:(\d+)", name)
        log = self.lab.path(f"{name}.log")
        text = wait_for_log(log, "listening on")
        for flag, readme_port in asked.items():
            pattern = r"OCSP over HTTP listening on http://127\.0\.0\.1:(\d+)" if flag == "--ocsp-http" else \
                r"(?<!HTTP )listening on 127\.0\.0\.1:(\d+)"
            text = wait_until(lambda: re.search(pattern, open(log).read()), f"{name} names its {flag} port")
            self.ports[readme_port] = int(text.group(1))
        return log


def master_keys(text):
    return set(MASTER_KEY.findall(text))


# --- the seed -------------------------------------------------------------------------------------
def seed_note_block():
    with open(SEED_NOTE) as f:
        found = re.search(r"^```plantuml\n(.*?)^```", f.read(), re.S | re.M)
    check(found, f"{SEED_NOTE} has no plantuml block")
    return found.group(1)


def diagram_of(puml):
    """The diagram of a .puml file: its lines between @startuml and @enduml."""
    found = re.search(r"^@startuml\n(.*?)^@enduml$", puml, re.S | re.M)
    check(found, "docs/seed.puml: no @startuml ... @enduml")
    return found.group(1)


def svg_texts(svg):
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


@test("seed-diagram")
def seed_diagram():
    """docs/seed.puml is the seed, said so in its header; docs/seed.svg is what plantuml draws from it."""
    check(os.path.isfile(SEED_PUML), "docs/seed.puml is missing")
    check(os.path.isfile(SEED_SVG), "docs/seed.svg is missing")
    with open(SEED_PUML) as f:
        puml = f.read()
    header = puml[:puml.find("@startuml")]
    check(header.strip() and all(line.startswith("'") for line in header.strip().splitlines()),
          f"docs/seed.puml should start with a comment (') that says what it is: {header[:200]!r}")
    check("seed" in header.lower(), "docs/seed.puml's header does not say it is the seed")
    diagram = diagram_of(puml)
    for arrow in ("Client -> Server", "Server -> Client", "Client -> CA", "CA -> Client"):
        check(arrow in diagram, f"docs/seed.puml has no '{arrow}' arrow")
    if os.path.isfile(SEED_NOTE):
        check(diagram == seed_note_block(), f"docs/seed.puml's diagram is not the plantuml block of {SEED_NOTE}")
    plantuml = shutil.which("plantuml")
    if not plantuml:
        skip("plantuml is not installed (Debian: apt install plantuml): docs/seed.svg was not redrawn")
    with tempfile.TemporaryDirectory(prefix="tlslab-seed-") as work:
        shutil.copy(SEED_PUML, work)
        drawn = subprocess.run([plantuml, "-tsvg", os.path.join(work, "seed.puml")], capture_output=True, text=True,
                               timeout=120)
        check(drawn.returncode == 0, f"plantuml -tsvg docs/seed.puml: exit {drawn.returncode}: {drawn.stderr}")
        with open(os.path.join(work, "seed.svg")) as f:
            redrawn = f.read()
    with open(SEED_SVG) as f:
        committed = f.read()
    check("Syntax Error" not in redrawn, "plantuml draws docs/seed.puml as a syntax error")
    check(svg_texts(redrawn) == svg_texts(committed),
          "docs/seed.svg does not show docs/seed.puml's words: redraw it (plantuml -tsvg docs/seed.puml)")
    check("SESSION MASTER KEY" in svg_texts(committed), "docs/seed.svg does not show SESSION MASTER KEY")


@test("readme-says-what-the-seed-is")
def readme_says_what_the_seed_is():
    """Where the README first says "seed", it says what the seed is and links its diagram."""
    paragraphs = re.split(r"\n\s*\n", readme())
    first = next((p for p in paragraphs if re.search(r"\bseed\b", p, re.I)), None)
    check(first, "README.md never names the seed")
    for target in ("docs/seed.puml", "docs/seed.svg"):
        check(f"]({target})" in first, f"where the README first names the seed, it does not link {target}:\n{first}")
        check(os.path.isfile(os.path.join(ROOT, target)), f"{target}, linked from the README, is missing")
    check(re.search(r"\bseed\b[^.]*\b(diagram|PlantUML)\b", first, re.I),
          f"where the README first names the seed, it does not say it is a diagram:\n{first}")


# --- the three terminals --------------------------------------------------------------------------
@test("readme-three-terminals")
def readme_three_terminals():
    """The README's "three terminals", as written (ports aside): the server's terminal and the
    client's show the same SESSION MASTER KEY, the CA's shows arrows 3 and 4, and the client's
    terminal is its trace, not the page's HTML."""
    with Lab() as lab:
        terminals = ReadmeTerminals(lab)
        terminals.once()
        ca_log = terminals.start("terminal 1", "terminal-1")
        server_log = terminals.start("terminal 2", "terminal-2")
        client = terminals.shell(terminals.command("terminal 3"), check_ok=False)
        shown = client.stdout + client.stderr
        check(client.returncode == 0, f"terminal 3 exited {client.returncode}:\n{shown}")
        check(not re.search(r"<(!doctype|html)", shown, re.I),
              f"terminal 3 ends with the page's HTML after the trace: {client.stdout[:300]!r}")
        client_keys = master_keys(client.stderr)
        check(len(client_keys) == 1, f"terminal 3 shows no SESSION MASTER KEY (or several): {client_keys}")
        server_text = wait_for_log(server_log, "SESSION MASTER KEY")
        check(master_keys(server_text) == client_keys,
              f"terminal 2 does not show the client's SESSION MASTER KEY {client_keys}:\n{server_text[-1500:]}")
        ca_text = wait_for_log(ca_log, "(4) CA → Client")
        check("(3) Client → CA" in ca_text and "(4) CA → Client" in ca_text,
              f"terminal 1 does not trace arrows 3 and 4:\n{ca_text[-1500:]}")


@test("readme-terminal-3-page")
def readme_terminal_3_page():
    """Each terminal 3 of the README (stapling and mutual authentication too), run as written after
    its terminals 1 and 2: its terminal shows the page's HTML only where the README says that the
    page follows the trace."""
    with Lab() as lab:
        first = ReadmeTerminals(lab)
        first.once()
        for section in ("Stapling", "Mutual authentication"):
            terminals = ReadmeTerminals(lab, section, desk=first.desk)
            terminals.once()
            terminals.start("terminal 1", f"{section.split()[0].lower()}-terminal-1")
            server_log = terminals.start("terminal 2", f"{section.split()[0].lower()}-terminal-2")
            if "--staple-from" in terminals.command("terminal 2"):
                wait_until(lambda: "stapled into every ServerHello" in open(server_log).read(),
                           "the server got its first staple")
            comment, command = terminals.commented("terminal 3")
            client = terminals.shell(command, check_ok=False)
            check(client.returncode == 0, f"{section}: terminal 3 exited {client.returncode}:\n{client.stderr[-1500:]}")
            html = bool(re.search(r"<(!doctype|html)", client.stdout + client.stderr, re.I))
            said = bool(re.search(r"page follows|then the page", comment))
            check(html == said, f"{section}: terminal 3 shows {'the' if html else 'no'} page's HTML, but its "
                  f"comment says {'so' if said else 'nothing of it'}: # {comment}")


@test("readme-crl-terminals")
def readme_crl_terminals():
    """The README's CRL section run as written (issue 23), its `once:` after terminal 1 so that the
    distribution point names the port the CA really listens on: terminal 3's client fetches the
    list and completes; the CA's terminal traces the GET that names no certificate; run again, the
    client takes the list from its --crl-cache; and the README's curl | openssl crl verifies it."""
    with Lab() as lab:
        first = ReadmeTerminals(lab)
        first.once()
        section = "Revocation lists"
        terminals = ReadmeTerminals(lab, section, desk=first.desk)
        ca_log = terminals.start("terminal 1", "crl-terminal-1")
        check(re.search(r"CRL at http://127\.0\.0\.1:\d+/crl", open(ca_log).read()),
              f"terminal 1 does not say where its CRL is:\n{open(ca_log).read()[-1500:]}")
        terminals.once()
        terminals.start("terminal 2", "crl-terminal-2")
        command = terminals.command("terminal 3")
        fetched = terminals.shell(command, check_ok=False)
        check(fetched.returncode == 0, f"{section}: terminal 3 exited {fetched.returncode}:\n{fetched.stderr[-1500:]}")
        check("CRL request" in fetched.stderr and "handshake complete" in fetched.stderr,
              f"terminal 3 does not draw the CRL fetch:\n{fetched.stderr[-2000:]}")
        ca_text = wait_for_log(ca_log, "CRL request (HTTP GET /crl)", "CertificateList")
        check("CERTIFICATE" in ca_text and "none named" in ca_text,
              f"terminal 1 does not say that the GET names no certificate:\n{ca_text[-2000:]}")
        cached = terminals.shell(command, check_ok=False)
        check(cached.returncode == 0 and "from the cache" in cached.stderr,
              f"terminal 3 run again does not use its cache:\n{cached.stderr[-2000:]}")
        text = open(os.path.join(ROOT, "README.md")).read()
        found = re.search(r"`(curl -s http://127\.0\.0\.1:8080/crl \| openssl crl [^`]*)`", text.replace("\n", " "))
        check(found, "the README's CRL section has no curl | openssl crl command")
        shown = terminals.shell(re.sub(r"\s+", " ", found.group(1)))
        check("verify OK" in shown.stdout + shown.stderr and "Certificate Revocation List" in shown.stdout,
              f"`{found.group(1)}` does not verify and print the list:\n{shown.stdout}\n{shown.stderr}")


@test("readme-real-tls-terminals")
def readme_real_tls_terminals():
    """The README's real-TLS section run as written (issue 24), its `once:` after terminal 1 so that
    the certificate's Authority Information Access names the port the CA really listens on: terminal
    3 speaks TLS 1.2 with RSA key transport to tlslab-server --tls, POSTs its OCSP request to that
    responder and draws arrow 2 as the three real messages; the CA's terminal shows the request; curl
    verifies the server and gets the session page that shows curl's own TLS 1.3 handshake."""
    with Lab() as lab:
        first = ReadmeTerminals(lab)
        first.once()
        section = "The same handshake on real TLS"
        terminals = ReadmeTerminals(lab, section, desk=first.desk)
        ca_log = terminals.start("terminal 1", "tls-terminal-1")
        terminals.once()
        issued = subprocess.run(["openssl", "x509", "-in", os.path.join(first.desk, "certs/lab/tls-server.crt"),
                                 "-noout", "-ocsp_uri"], capture_output=True, text=True)
        check(issued.stdout.strip() == f"http://127.0.0.1:{terminals.ports[8080]}",
              f"the certificate does not name the CA's responder: {issued.stdout!r}")
        terminals.start("terminal 2", "tls-terminal-2")
        ran = terminals.shell(terminals.command("terminal 3"), check_ok=False)
        check(ran.returncode == 0, f"{section}: terminal 3 exited {ran.returncode}:\n{ran.stderr[-2000:]}")
        for drawn in ("(2) Server → Client: ServerHello + Certificate + ServerHelloDone", "(3) Client → CA: OCSPRequest",
                      "(5) Client → Server: ClientKeyExchange", "TLS_RSA_WITH_AES_128_GCM_SHA256"):
            check(drawn in ran.stderr, f"terminal 3 does not draw {drawn!r}:\n{ran.stderr[-2500:]}")
        check(os.path.getsize(os.path.join(first.desk, "certs/lab/tls12.html")) > 10000, "no report was written")
        wait_for_log(ca_log, "OCSPRequest (HTTP POST)")
        terminals.shell(terminals.command("then curl"))
        page = open(os.path.join(first.desk, "certs/lab/curl-page.html")).read()
        check("this TLS 1.3 session" in page and "EncryptedExtensions" in page,
              f"curl's page does not show its TLS 1.3 handshake:\n{page[:1500]}")


# --- the CA ---------------------------------------------------------------------------------------
def readme_ca_synopsis():
    """{subcommand: text} of the README's CA synopsis (the first block of '## The CA')."""
    synopsis, current = {}, None
    for line in code_blocks(readme_section("The CA"))[0].splitlines():
        found = re.match(r"build/bin/tlslab-ca (\w+)(.*)", line)
        if found:
            current = found.group(1)
            synopsis[current] = found.group(2)
        elif current and line.startswith(" "):
            synopsis[current] += " " + line.strip()
    return synopsis


def help_options(subcommand):
    result = subprocess.run([exe("tlslab-ca"), subcommand, "--help"], capture_output=True, text=True, timeout=30)
    check(result.returncode == 0, f"tlslab-ca {subcommand} --help: exit {result.returncode}")
    options = re.findall(r"^\s+(?:-\w,)?(--[a-z][a-z0-9-]*)", result.stdout, re.M)
    return [o for o in options if o != "--help"], result.stdout


def key_types(text):
    return set(re.findall(r"\b(ec-p256|rsa\d{4})\b", text))


@test("ca-synopsis-names-every-option")
def ca_synopsis_names_every_option():
    """The README's CA synopsis names each option of each subcommand (`serve --validity` among them),
    and the key types each subcommand takes (`issue --key-type ec-p256`), as --help does."""
    synopsis = readme_ca_synopsis()
    check(sorted(synopsis) == sorted(["init", "issue", "list", "revoke", "crl", "serve"]),
          f"the README's CA synopsis has the subcommands {sorted(synopsis)}")
    problems = []
    for subcommand, text in synopsis.items():
        options, help_text = help_options(subcommand)
        named = set(re.findall(r"--[a-z][a-z0-9-]*", text))
        missing = [o for o in options if o not in named]
        unknown = sorted(named - set(options))
        if missing:
            problems.append(f"{subcommand}: the README does not name {' '.join(missing)}")
        if unknown:
            problems.append(f"{subcommand}: the README names {' '.join(unknown)}, which --help does not know")
        readme_types = key_types(re.search(r"--key-type ([\w|-]+)", text).group(1)) if "--key-type" in text else set()
        help_line = re.search(r"--key-type[^\n]*", help_text)
        if help_line and readme_types != key_types(help_line.group(0)):
            problems.append(f"{subcommand} --key-type: the README says {sorted(readme_types)}, "
                            f"--help {sorted(key_types(help_line.group(0)))}")
    check(not problems, "; ".join(problems))
    check("ec-p256" in key_types(synopsis["issue"]), "the README's synopsis does not say issue --key-type ec-p256")


def post(port, body, content_type="application/ocsp-request"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/", body=body, headers={"Content-Type": content_type})
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, data


@test("readme-openssl-ocsp-traced")
def readme_openssl_ocsp_traced():
    """The README's `openssl ocsp` against the CA's HTTP endpoint (terminal 1 of the three terminals),
    as written but for the port: openssl verifies a good answer, and the CA's terminal traces it
    like a framed request: arrow 3 (who asks: an HTTP client, and the certificate), the database
    lookup, arrow 4 (what was signed, with which key). A body that is not an OCSPRequest is one
    failure line in that terminal, and the CA goes on answering."""
    with Lab() as lab:
        terminals = ReadmeTerminals(lab)
        terminals.once()
        ca_log = terminals.start("terminal 1", "terminal-1")
        commands = [c for _, c in commands_by_heading(code_blocks(readme_section("The CA"))[1])]
        ocsp = [c for c in commands if c.startswith("openssl ocsp ")]
        check(len(ocsp) == 1 and "-url http://127.0.0.1:" in ocsp[0], f"the README's CA section: no openssl ocsp -url: {commands}")
        before = open(ca_log).read()
        answered = terminals.shell(ocsp[0])
        check(re.search(r"server\.crt: good", answered.stdout) and "Response verify OK" in answered.stdout + answered.stderr,
              f"`{ocsp[0]}`: no verified good answer:\n{answered.stdout}\n{answered.stderr}")
        text = wait_for_log(ca_log, "(4) CA → Client", "signed with")[len(before):]
        expected = [r"\(3\) Client → CA: OCSPRequest", r"asked by\s+an HTTP client at 127\.0\.0\.1:\d+",
                    r"CERTIFICATE\s+serial [0-9a-f]+, .*: this CA", r"CA: checks its database",
                    r"database says\s+good: issued here, not revoked \(serial [0-9a-f]+\)", r"\(4\) CA → Client: OCSPResponse",
                    r"signed\s+OCSP BasicResponse for serial [0-9a-f]+ \(good\), thisUpdate", r"signed with\s+CA'S PRIVATE KEY"]
        missing = [pattern for pattern in expected if not re.search(pattern, text)]
        check(not missing, f"the CA's terminal does not trace the openssl ocsp request ({missing}):\n{text[-2000:]}")

        http_port = terminals.ports[8080]
        before = open(ca_log).read()
        status, body = post(http_port, b"\x30\x03garbage, not an OCSPRequest")
        check(status == 200 and body == bytes.fromhex("30030a0101"),
              f"garbage: expected HTTP 200 with malformedRequest (30 03 0a 01 01), got {status} {body.hex()}")
        answered = terminals.shell(ocsp[0])  # the CA goes on: and its trace is done with the garbage
        wait_for_log(ca_log, "(4) CA → Client", count=2)
        after = open(ca_log).read()[len(before):]
        lines = after.splitlines()
        garbage_lines = lines[:next((i for i, line in enumerate(lines) if "(3) Client → CA" in line), len(lines))]
        check(len(garbage_lines) == 1 and re.search(r"not a DER OCSPRequest.*malformedRequest", garbage_lines[0]),
              f"garbage: expected one failure line in the CA's terminal, got {garbage_lines}")


# --- capture.sh -----------------------------------------------------------------------------------
def need_capture_as_root():
    if os.geteuid() != 0:
        skip("capturing needs root here: run as root to check capture.sh")
    for program in ("tshark", "dumpcap"):
        if not shutil.which(program):
            skip(f"{program} is not installed (Debian: apt install tshark)")


def fake_sudo(lab, log_name="sudo.calls", probe_ok=True):
    """A directory to put first on PATH, with a `sudo` that records each call in `log_name` (one line
    of arguments) and then fails as a missing sudo would (or, for the `sudo -n true` probe of a
    terminal-less run, answers `probe_ok`)."""
    fake = lab.path("fake-bin")
    os.makedirs(fake, exist_ok=True)
    calls = lab.path(log_name)
    with open(os.path.join(fake, "sudo"), "w") as f:
        f.write("#!/bin/sh\n"
                f'[ "$*" = "-n true" ] && exit {0 if probe_ok else 1}\n'
                f'printf "%s\\n" "$*" >>{shlex.quote(calls)}\n'
                "exit 0\n")
    os.chmod(os.path.join(fake, "sudo"), 0o755)
    return fake, calls


def printed_commands(output, program):
    """The commands capture.sh printed for `program` (its indented lines), as argument lists."""
    return [shlex.split(line) for line in output.splitlines() if line.startswith(f"  {program} ")]


def install_dissector(home):
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
    result = subprocess.run(["bash", os.path.join(ROOT, "scripts", "wireshark", "install.sh")], env=env,
                            capture_output=True, text=True, timeout=60)
    check(result.returncode == 0, f"install.sh: exit {result.returncode}: {result.stdout}{result.stderr}")
    return env


def capture(desk, env, *args):
    result = subprocess.run(["bash", "scripts/capture.sh", *args], cwd=desk, env=env, capture_output=True,
                            text=True, timeout=180)
    if result.returncode == 77:
        skip(f"capture.sh cannot capture here: {result.stderr.strip()[-300:]}")
    check(result.returncode == 0, f"capture.sh {' '.join(args)}: exit {result.returncode}:\n{result.stdout}\n"
          f"{result.stderr[-2000:]}")
    return result.stdout


@test("readme-capture-as-root")
def readme_capture_as_root():
    """The README's capture commands, as written, run by root on a machine whose root has no sudo (a
    container, a fresh Debian): capture.sh captures without calling sudo, and the README's tshark
    command reads the request it decrypts from the files capture.sh wrote."""
    need_capture_as_root()
    with Lab() as lab:
        desk = user_desk(lab)
        fake, calls = fake_sudo(lab)
        home = lab.path("home")
        os.makedirs(home)
        env = dict(os.environ, PATH=fake + os.pathsep + os.environ.get("PATH", ""), HOME=home, CAPTURE_QUIET="1")
        commands = [c for _, c in commands_by_heading(code_blocks(readme_section("Capture and decode with Wireshark"))[0])]
        check(len(commands) == 2 and "capture.sh" in commands[0] and commands[1].startswith("tshark "),
              f"the README's capture block should be capture.sh, then tshark: {commands}")
        captured = subprocess.run(["bash", "-c", commands[0]], cwd=desk, env=env, capture_output=True, text=True,
                                  timeout=180)
        sudo_calls = open(calls).read() if os.path.exists(calls) else ""
        check(not sudo_calls, f"as root, the README's `{commands[0]}` called sudo: {sudo_calls!r}\n{captured.stderr}")
        if captured.returncode == 77:
            skip(f"capture.sh cannot capture here: {captured.stderr.strip()[-300:]}")
        check(captured.returncode == 0,
              f"the README's `{commands[0]}` exited {captured.returncode}:\n{captured.stdout}\n{captured.stderr[-1500:]}")
        read = subprocess.run(["bash", "-c", commands[1]], cwd=desk, env=env, capture_output=True, text=True,
                              timeout=120)
        check(read.returncode == 0, f"the README's `{commands[1]}` exited {read.returncode}: {read.stderr[-800:]}")
        if not read.stdout.strip():
            not_decrypted = subprocess.run(["tshark", "-r", os.path.join(desk, "tlslab-good.pcapng"), "-X",
                                            "lua_script:scripts/wireshark/tlslab.lua", "-Y", "tlslab.expert.not_decrypted",
                                            "-V"], cwd=desk, env=env, capture_output=True, text=True, timeout=120)
            if "lua-luaossl" in not_decrypted.stdout:
                skip("tshark's Lua has no lua-luaossl: the README's tshark command cannot decrypt here")
        check(read.stdout.split() == ["/"], f"the README's tshark command printed {read.stdout!r}, not the request /")


@test("readme-explain-your-own-handshake")
def readme_explain_your_own_handshake():
    """The README's "Explain your own browser's handshake" block, run as written (as root, its port
    aside): a site, a capture, a visit by curl with its key log, then tlslab-explain lists the one
    TLS 1.3 connection and writes a page where the key log opened the handshake (both Finished
    recomputed equal) and the request."""
    need_capture_as_root()
    with Lab() as lab:
        desk = user_desk(lab)
        blocks = code_blocks(readme_section("Explain your own browser's handshake"))
        check(len(blocks) == 1, f"the README's explain section should have one code block, not {len(blocks)}")
        port = str(free_port())
        script = blocks[0].replace("8443", port)
        result = subprocess.run(["bash", "-e", "-c", script], cwd=desk, capture_output=True, text=True, timeout=120)
        check(result.returncode == 0, f"the README's explain block exited {result.returncode}:\n{result.stdout}\n"
                                      f"{result.stderr[-1500:]}")
        listed = [line for line in result.stdout.splitlines() if line.startswith("stream ")]
        check(len(listed) == 1 and f"→ 127.0.0.1:{port}  TLS 1.3  localhost  " in listed[0]
              and "handshake complete" in listed[0], f"--list printed {result.stdout!r}")
        page = open(os.path.join(desk, "mine.html")).read()
        for finished in ("client Finished", "server Finished"):
            check(f'"check":"{finished}","ok":true' in page, f"mine.html: the {finished} is not recomputed equal")
        check("GET / HTTP/1.1" in page, "mine.html does not show the request the key log opened")


@test("capture-as-user-without-sudo")
def capture_as_user_without_sudo():
    """A user who cannot capture runs capture.sh: it runs itself again with sudo, with the user's
    arguments; without sudo it says in one line that capturing needs root, and writes nothing."""
    if os.geteuid() != 0:
        skip("needs root, to run capture.sh as the user nobody")
    if not shutil.which("setpriv"):
        skip("setpriv (util-linux) is not installed")
    with Lab() as lab:
        os.chmod(lab.dir, 0o755)
        desk = user_desk(lab)
        # The checkout may sit where nobody cannot reach (a clone in a 0700 `mktemp -d`): the user
        # gets a copy of the scripts and of the programs capture.sh looks for (hard links when the
        # file system allows), as a user's own checkout and build would be theirs.
        os.unlink(os.path.join(desk, "scripts"))
        shutil.copytree(os.path.join(ROOT, "scripts"), os.path.join(desk, "scripts"))
        bin_dir = os.path.join(desk, "build", "bin")
        os.unlink(bin_dir)
        os.makedirs(bin_dir)
        for program in ("tlslab-ca", "tlslab-server", "tlslab-client"):
            try:
                os.link(exe(program), os.path.join(bin_dir, program))
            except OSError:
                shutil.copy2(exe(program), os.path.join(bin_dir, program))
        os.chmod(os.path.join(desk, "build"), 0o755)
        os.chmod(desk, 0o755)
        out = lab.path("out")
        os.makedirs(out)
        os.chmod(out, 0o777)
        fake, calls = fake_sudo(lab)
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
        args = ["bash", "scripts/capture.sh", "revoked", "-o", "../out/mine.pcapng"]
        plain_path = "/usr/local/bin:/usr/bin:/bin"
        if not shutil.which("sudo", path=plain_path):
            env = {"PATH": plain_path, "HOME": out, "LANG": "C.UTF-8"}
            alone = subprocess.run(as_nobody + args, cwd=desk, env=env, capture_output=True, text=True, timeout=120)
            lines = [line for line in alone.stderr.splitlines() if line.strip()]
            check(alone.returncode == 77 and len(lines) == 1,
                  f"without root or sudo: expected exit 77 and one line, got exit {alone.returncode}:\n{alone.stderr}")
            check(re.search(r"\broot\b", lines[0]) and "sudo" in lines[0],
                  f"the line should say that capturing needs root and that sudo is missing: {lines[0]}")
            check(not os.listdir(out), f"capture.sh wrote {os.listdir(out)} though it could not capture")
        open(calls, "w").close()
        os.chmod(calls, 0o666)
        env = {"PATH": fake + os.pathsep + plain_path, "HOME": out, "LANG": "C.UTF-8"}
        again = subprocess.run(as_nobody + args, cwd=desk, env=env, capture_output=True, text=True, timeout=120)
        recorded = open(calls).read().splitlines()
        check(again.returncode == 0 and len(recorded) == 1,
              f"with sudo: expected capture.sh to run itself again with sudo once (exit 0), got exit "
              f"{again.returncode}, sudo calls {recorded}:\n{again.stderr}")
        check(re.search(r"bash \S*scripts/capture\.sh revoked -o \.\./out/mine\.pcapng$", recorded[0]),
              f"sudo was not asked to run capture.sh with the user's arguments: sudo {recorded[0]}")


@test("readme-tshark-after-install")
def readme_tshark_after_install():
    """The README's tshark command (with -X lua_script:) as written, for a user who has also run
    scripts/wireshark/install.sh: the dissector loaded twice does not stop tshark ("two protocols
    with the same description"), and the request is decrypted. On a capture made by
    tests/wireshark/make_pcap.py, so that no root is needed."""
    if not shutil.which("tshark"):
        skip("tshark is not installed (Debian: apt install tshark)")
    with Lab() as lab:
        desk = user_desk(lab)
        made = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "wireshark", "make_pcap.py"), lab.path("pcap"),
                               "--seed", "20240101"], capture_output=True, text=True, timeout=120)
        if made.returncode != 0 and "cryptography" in made.stderr:
            skip("python3 has no 'cryptography' module: make_pcap.py cannot make the capture")
        check(made.returncode == 0, f"make_pcap.py: {made.stderr[-800:]}")
        shutil.copy(lab.path("pcap", "tlslab-good.pcap"), os.path.join(desk, "tlslab-good.pcapng"))
        shutil.copy(lab.path("pcap", "keylog.txt"), os.path.join(desk, "tlslab-good.keylog"))
        home = lab.path("home")
        os.makedirs(home)
        env = install_dissector(home)
        commands = [c for _, c in commands_by_heading(code_blocks(readme_section("Capture and decode with Wireshark"))[0])]
        check(len(commands) == 2 and commands[1].startswith("tshark ") and "-X lua_script:" in commands[1],
              f"the README's capture block should end with a tshark command with -X lua_script: {commands}")
        read = subprocess.run(["bash", "-c", commands[1]], cwd=desk, env=env, capture_output=True, text=True,
                              timeout=120)
        check(read.returncode == 0 and "same description" not in read.stderr,
              f"after install.sh, the README's `{commands[1]}` exited {read.returncode}: {read.stderr[-600:]}")
        if not read.stdout.strip() and "lua-luaossl" in subprocess.run(
                ["tshark", "-r", "tlslab-good.pcapng", "-Y", "tlslab.expert.not_decrypted", "-V"], cwd=desk, env=env,
                capture_output=True, text=True, timeout=120).stdout:
            skip("tshark's Lua has no lua-luaossl: nothing to decrypt with")
        check("/hello" in read.stdout.split(), f"after install.sh, the README's tshark command printed {read.stdout!r}")


@test("capture-after-install-prints-no-x")
def capture_after_install_prints_no_x():
    """After scripts/wireshark/install.sh, the commands capture.sh prints load the installed dissector
    (no -X lua_script:, which tshark 4.0 refuses then: "two protocols with the same description"),
    and work as printed; before it, they carry -X."""
    need_capture_as_root()
    with Lab() as lab:
        desk = user_desk(lab)
        home = lab.path("home")
        os.makedirs(home)
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), CAPTURE_QUIET="1")
        before = capture(desk, env, "-o", "before.pcapng")
        check(all("-X" in c for c in printed_commands(before, "tshark") + printed_commands(before, "wireshark")),
              f"without the dissector installed, capture.sh should print -X lua_script: in each command:\n{before}")
        install_dissector(home)
        for scenario in ("good", "garbage"):
            output = capture(desk, env, scenario, "-o", f"{scenario}.pcapng")
            commands = printed_commands(output, "tshark") + printed_commands(output, "wireshark")
            check(commands, f"{scenario}: capture.sh printed no tshark or wireshark command:\n{output}")
            with_x = [shlex.join(c) for c in commands if any(a.startswith("lua_script:") for a in c)]
            check(not with_x, f"{scenario}: after install.sh, capture.sh still prints -X lua_script: {with_x}")
            for command in printed_commands(output, "tshark"):
                ran = subprocess.run(command, cwd=desk, env=env, capture_output=True, text=True, timeout=120)
                check(ran.returncode == 0 and "same description" not in ran.stderr and ran.stdout.strip(),
                      f"{scenario}: `{shlex.join(command)}` as printed: exit {ran.returncode}, {ran.stderr[-600:]}")
            if scenario == "garbage":
                check(all("-d" in c for c in commands),
                      f"garbage: the commands lost the -d tcp.port==PORT,tlslab that marks the server's port: {commands}")


def run_main():
    sys.exit(run_named(TESTS, sys.argv))


if __name__ == "__main__":
    run_main()
