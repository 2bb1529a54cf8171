#!/usr/bin/env python3
"""Seeds of fuzz_explain_records and fuzz_explain_capture, from the captures tests/explain/captures.py
makes (default /tmp/explain-caps): make_corpus.py leaves these two corpora as they are.

fuzz_explain_records takes one connection as chunks: a re-split byte (0: as given), then for each TCP
payload [direction: 0x00 client, 0x80 server | 2-byte length | bytes]. The captures are in order and
have no retransmissions, so each packet's payload is one chunk. fuzz_explain_capture takes the files
themselves (named without .pcap, which .gitignore leaves out).

    tests/fuzz/explain_seeds.py [CAPTURES_DIR]
"""
import pathlib
import shutil
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent


def packets(path):
    data = path.read_bytes()
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(order + "I", data[20:24])[0]
    at = 24
    while at + 16 <= len(data):
        _, _, captured, _ = struct.unpack(order + "IIII", data[at:at + 16])
        at += 16
        yield link, data[at:at + captured]
        at += captured


def tcp_payload(link, packet):
    packet = packet[{1: 14, 113: 16, 0: 4}.get(link, 0):]
    if not packet or packet[0] >> 4 != 4 or packet[9] != 6:
        return None
    header = (packet[0] & 15) * 4
    total = struct.unpack(">H", packet[2:4])[0]
    segment = packet[header:total]
    source = (packet[12:16], struct.unpack(">H", segment[:2])[0])
    return source, segment[(segment[12] >> 4) * 4:]


def connection_seed(path):
    client = None
    chunks = [b"\x00"]
    for link, packet in packets(path):
        parsed = tcp_payload(link, packet)
        if not parsed or not parsed[1]:
            continue
        source, payload = parsed
        client = client or source
        chunks.append(bytes([0 if source == client else 0x80]) + struct.pack(">H", len(payload)) + payload)
    return b"".join(chunks)


def main():
    captures = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/explain-caps")
    records = HERE / "corpus" / "fuzz_explain_records"
    capture = HERE / "corpus" / "fuzz_explain_capture"
    for directory in (records, capture):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    for name in ("curl-tls13", "curl-tls12-ecdhe"):
        (records / name).write_bytes(connection_seed(captures / (name + ".pcap")))
    for name in ("curl-tls13.pcap", "curl-tls12-ecdhe.pcap", "curl-tls13-pcapng.pcapng", "huge-record.pcap",
                 "truncated.pcap"):
        shutil.copyfile(captures / name, capture / name.replace(".", "-"))


if __name__ == "__main__":
    main()
