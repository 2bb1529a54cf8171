#!/usr/bin/env python3
"""The client's --plantuml diagram as a reader sees it (issue 22 points 3 and 9): real runs,
rendered to SVG by the installed plantuml, and the SVG's text read back. The arrows keep the seed's
sentences, the SESSION MASTER KEY is drawn on both sides, times below a millisecond are shown,
CERTIFICATE is a cyan that reads on white, and a mutual run says what the client cannot see.

Run one:   python3 tests/report/plantuml_test.py seed_sentences
List them: python3 tests/report/plantuml_test.py --list
Exit 77 (skipped) when plantuml or java is missing. Diagrams go to build/test-artifacts/.
"""
import html
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from harness import Lab, Setup, check, exe, read_json_lines, run_named, skip  # noqa: E402

ARTIFACTS = os.environ.get("TLSLAB_ARTIFACTS") or os.path.join(REPO, "build", "test-artifacts")
DARK_CYAN, CYAN, RED = "#008B8B", "#00FFFF", "#FF0000"
EXIT_CERTIFICATE = 4  # the client refused the server's CERTIFICATE

TESTS = {}


def test(function):
    TESTS[function.__name__] = function
    return function


class Svg:
    """A diagram rendered by plantuml: its <text> elements as (text, x, fill, bold)."""

    def __init__(self, puml, artifact_name):
        for tool in ("plantuml", "java"):
            if shutil.which(tool) is None:
                skip(f"{tool} is not installed")
        render = subprocess.run(["plantuml", "-tsvg", "-failfast2", puml], capture_output=True, text=True, timeout=240)
        check(render.returncode == 0, f"plantuml -tsvg exited {render.returncode}:\n{render.stdout[-1500:]}"
                                      f"{render.stderr[-1500:]}")
        path = puml[:-len(".puml")] + ".svg"
        with open(path, encoding="utf-8") as f:
            self.svg = f.read()
        os.makedirs(ARTIFACTS, exist_ok=True)
        shutil.copy(path, os.path.join(ARTIFACTS, artifact_name))
        self.texts = []
        for attributes, text in re.findall(r"<text([^>]*)>([^<]*)</text>", self.svg):
            x = float(re.search(r'\bx="([\d.]+)"', attributes).group(1))
            fill = (re.search(r'\bfill="([^"]*)"', attributes) or [None, ""])[1].upper()
            self.texts.append((html.unescape(text), x, fill, 'font-weight="bold"' in attributes))

    def words(self):
        """All the text, in order, as words: a sentence broken onto lines or painted in parts reads
        as it is written."""
        return normalized(" ".join(text for text, _, _, _ in self.texts))

    def participant_x(self, name):
        return min(x for text, x, _, _ in self.texts if text == name)


def says(words, sentence):
    """True when `words` hold `sentence`, whatever the spacing (a colored word is a text of its own);
    plantuml draws an en dash as a hyphen."""
    def compact(text):
        return re.sub(r"\s", "", text).replace("\u2013", "-")
    return compact(sentence) in compact(words)


def normalized(text):
    return re.sub(r"\s+([,.;:)])", r"\1", re.sub(r"\s+", " ", text)).strip()


def run_client(lab, setup, name, *extra, server_port=None, expect_rc=0):
    """A run of the client against the setup's server (or the one on `server_port`)."""
    puml, trace = lab.path(f"{name}.puml"), lab.path(f"{name}.jsonl")
    result = lab.client(server_port or setup.server_port, setup.ca_port, setup.trust,
                        ["--plantuml", puml, "--trace-json", trace, *extra, "--get", "/"])
    check(result.returncode == expect_rc, f"{name}: the client exited {result.returncode}, not {expect_rc}:\n{result.stderr[-2500:]}")
    return puml, read_json_lines(trace)


@test
def seed_sentences():
    """Each arrow and step of a run says what the seed says there (the trace's description of
    every event is in the rendered diagram, word for word), as the terminal and the page do."""
    with Lab() as lab:
        puml, events = run_client(lab, Setup(lab), "sentences")
        words = Svg(puml, "plantuml-sentences.svg").words()
        described = [e for e in events if e.get("description")]
        check(len(described) >= 8, f"the trace describes only {len(described)} events")
        for event in described:
            sentence = normalized(event["description"])
            check(says(words, sentence), f"arrow {event['arrow']} {event['message']!r}: the diagram lacks the seed's "
                                     f"sentence {sentence!r}:\n{words[:3000]}")
        check(says(words, "client says hello with RAND-CLIENT, sends TLS version"), "the seed's first sentence is missing")


@test
def session_master_key_on_both_sides():
    """With --show-secrets the SESSION MASTER KEY is a step on the client and on the server, each
    with the key the trace shows; the server's says the client knows it because the ACK decrypted."""
    with Lab() as lab:
        puml, events = run_client(lab, Setup(lab), "keys", "--show-secrets")
        key = next(e["fields"]["SESSION MASTER KEY"] for e in events
                   if e.get("arrow") == 0 and "SESSION MASTER KEY" in e.get("fields", {}))
        svg = Svg(puml, "plantuml-keys.svg")
        server_x = svg.participant_x("Server")
        titles = [x for text, x, _, bold in svg.texts if bold and text.strip() == "SESSION MASTER KEY"]
        check(any(x < server_x for x in titles), f"no SESSION MASTER KEY step on the client (titles at {titles})")
        check(any(x > server_x for x in titles),
              f"no SESSION MASTER KEY step on the server, right of its lifeline at {server_x} (titles at {titles})")
        shown = key[:40]  # a value is shortened to its first 40 characters
        drawn = [x for text, x, _, _ in svg.texts if shown in text]
        check(len(drawn) == 2 and min(drawn) < server_x < max(drawn),
              f"the key {shown}… is drawn at {drawn}, not once on each side of the Server's lifeline ({server_x})")
        check(says(svg.words(), "known because the ACK (7) decrypted and verified under it"),
              "the server's step does not say how the client knows the server has the key")


@test
def sub_millisecond_times():
    """Every arrow's time is shown to a hundredth of a millisecond ("+0.42 ms"), so arrows less
    than a millisecond apart (a local CA's answer, the steps after it) do not all read "+0 ms"."""
    with Lab() as lab:
        puml, _ = run_client(lab, Setup(lab), "times")
        times = [text for text, _, _, _ in Svg(puml, "plantuml-times.svg").texts if text.strip().endswith(" ms")]
        check(len(times) >= 8, f"the diagram shows {len(times)} times: {times}")
        for text in times:
            check(re.fullmatch(r"\+\d+\.\d\d ms", text.strip()), f"a time reads {text!r}, not like '+0.42 ms'")


@test
def certificate_reads_on_white():
    """CERTIFICATE is painted DarkCyan (#008B8B) everywhere it is colored, never the seed's cyan
    (#00FFFF, unreadable on the white page), and the legend says so."""
    with Lab() as lab:
        puml, _ = run_client(lab, Setup(lab), "colors")
        svg = Svg(puml, "plantuml-colors.svg")
        painted = [fill for text, _, fill, _ in svg.texts if text.strip() == "CERTIFICATE"]
        check(painted, "CERTIFICATE is drawn nowhere")
        check(all(fill == DARK_CYAN for fill in painted), f"CERTIFICATE is painted {sorted(set(painted))}")
        check(CYAN not in svg.svg.upper(), "something in the diagram is still cyan on white")
        check(says(svg.words(), "in DarkCyan: the seed's cyan cannot be read on white"), "the legend does not say why")


@test
def failed_check_is_red():
    """A CERTIFICATE refused by the client's own check (--server-name it is not for): the check is
    a red step on the client, its failing value in red, and the alert a red arrow to the server."""
    with Lab() as lab:
        puml, _ = run_client(lab, Setup(lab), "refused", "--server-name", "www.example.org", expect_rc=EXIT_CERTIFICATE)
        svg = Svg(puml, "plantuml-refused-check.svg")
        red = [(text.strip(), bold) for text, _, fill, bold in svg.texts if fill == RED]
        check(any(bold and text.startswith("checks the CERTIFICATE locally") for text, bold in red),
              f"the failed check's title is not red (red texts: {red})")
        check(("host name", False) in red, f"the host name that failed is not red (red texts: {red})")
        check(("alert bad_certificate", True) in red, f"the alert is not red (red texts: {red})")
        server_x = svg.participant_x("Server")
        self_arrows = [float(x) for x, x2 in re.findall(r'<line style="stroke: ?#FF0000;[^"]*" x1="([\d.]+)" '
                                                         r'x2="([\d.]+)"', svg.svg) if x == x2]
        check(any(x < server_x for x in self_arrows), "the failed check is not a red step on the client")


@test
def mutual_run_says_what_the_client_cannot_see():
    """A client that sends its certificate (--cert/--key to a --client-auth require server): a note
    over Server and CA says the server checks that CERTIFICATE with the CA out of the client's sight
    and that tlslab-report draws those arrows from the three traces."""
    with Lab() as lab:
        setup = Setup(lab)
        _, mutual_port = lab.start_server(setup.cert, setup.key, [
            "--client-auth", "require", "--client-trust", setup.trust, "--ca-service", f"127.0.0.1:{setup.ca_port}"])
        cert, key = lab.path("alice.crt"), lab.path("alice.key")
        lab.run(exe("tlslab-ca"), "issue", "--client", "--dir", setup.ca_dir, "--cn", "alice", "--out-cert", cert,
                "--out-key", key)
        puml, events = run_client(lab, setup, "mutual", "--cert", cert, "--key", key, server_port=mutual_port)
        check(any(e.get("arrow") == 5 and "CN=alice" in str(e.get("fields")) for e in events),
              "the client did not send its certificate: the test proves nothing")
        svg = Svg(puml, "plantuml-mutual.svg")
        words = svg.words()
        for needed in ("out of the client's sight, the server checks the client's CERTIFICATE with the CA "
                       "(its own arrows 3–4)", "tlslab-report client.jsonl server.jsonl ca.jsonl draws them"):
            check(says(words, needed), f"the diagram does not say {needed!r}:\n{words[-3000:]}")
        note_x = next(x for text, x, _, _ in svg.texts if text.startswith("out of the client"))
        check(note_x > svg.participant_x("Client") + 100, "the note is not over Server and CA")
        # The seed's run (no client certificate) has no such note.
        puml, _ = run_client(lab, setup, "seed")
        with open(puml, encoding="utf-8") as f:
            check("note over Server, CA" not in f.read(), "a run without a client certificate notes a CA check")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
