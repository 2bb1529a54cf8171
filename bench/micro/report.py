#!/usr/bin/env python3
"""Turns tlslab-microbench's JSON output into the Markdown table of docs/BENCHMARKS.md.

Run the benchmarks with --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
--benchmark_out=FILE --benchmark_out_format=json, then: report.py FILE. Each row is the median
CPU time of the repetitions; the ratio divides it by the median of the row's OpenSSL baseline
(above 1.00: tlslab is slower).
"""
import json
import re
import sys

SUITES = {"aes128gcm": "AES-128-GCM", "aes256gcm": "AES-256-GCM", "chacha20": "ChaCha20-Poly1305"}
SIZES = {"64": "64 B", "1024": "1 KiB", "16384": "16 KiB"}
CAS = {"rsa2048": "RSA-2048 CA", "ec_p256": "EC P-256 CA"}


def record(m):
    return f"{SUITES[m['suite']]}, {SIZES[m['size']]}"


# (pattern, baseline name template or None, explanation template). The explanation may use the
# pattern's groups, {ratio} and {base}.
ROWS = [
    (r"BM_FrameHeader_Encode", None, "5-byte frame header to bytes (every frame sent)"),
    (r"BM_FrameHeader_Decode", None, "5-byte header parsed and checked against §2's limits (every frame received)"),
    (r"BM_ClientHello_Encode", None, "encode_handshake of a ClientHello with 3 suites and server_name"),
    (r"BM_ClientHello_Decode", None, "decode_handshake<ClientHello>: envelope, vectors, extensions, trailing-byte check"),
    (r"BM_ServerHello_Encode", None, "encode_handshake of a ServerHello carrying the real RSA-2048 certificate and SPKI"),
    (r"BM_ServerHello_Decode", None, "decode_handshake<ServerHello>: copies certificate and key (DER is not parsed here)"),
    (r"BM_Prf_MasterSecret/(?P<hash>\w+)", "BM_OpenSSL_Tls1Prf_MasterSecret/{hash}",
     "derive_master_secret, one TLS1-PRF call; {ratio} the raw EVP_KDF call"),
    (r"BM_KeySchedule/(?P<hash>\w+)", "BM_OpenSSL_Tls1Prf_KeySchedule/{hash}",
     "master_secret + key_block + both verify_data (4 PRF calls); {ratio} the raw EVP_KDF calls"),
    (r"BM_OpenSSL_Tls1Prf_MasterSecret/(?P<hash>\w+)", None, "baseline: EVP_KDF TLS1-PRF, fresh ctx, seed parts as separate params"),
    (r"BM_OpenSSL_Tls1Prf_KeySchedule/(?P<hash>\w+)", None, "baseline: the same 4 raw TLS1-PRF derives"),
    (r"BM_Record_Seal/(?P<suite>\w+)/(?P<size>\d+)", "BM_OpenSSL_Aead_Seal_ReusedCtx/{suite}/{size}",
     "RecordProtection::seal, {record}; {ratio} raw EVP on a reused ctx"),
    (r"BM_Record_SealOpen/(?P<suite>\w+)/(?P<size>\d+)", "BM_OpenSSL_Aead_SealOpen_ReusedCtx/{suite}/{size}",
     "seal + header decode + open in place, {record}; {ratio} raw EVP seal+open"),
    (r"BM_OpenSSL_Aead_Seal_ReusedCtx/(?P<suite>\w+)/(?P<size>\d+)", None,
     "baseline: EVP seal, {record}, ctx keyed once (as AeadKey)"),
    (r"BM_OpenSSL_Aead_SealOpen_ReusedCtx/(?P<suite>\w+)/(?P<size>\d+)", None,
     "baseline: EVP seal then open in place, {record}, ctxs keyed once"),
    (r"BM_OpenSSL_Aead_Seal_FreshCtx/(?P<suite>\w+)/(?P<size>\d+)", "BM_OpenSSL_Aead_Seal_ReusedCtx/{suite}/{size}",
     "baseline: new EVP_CIPHER_CTX + key setup per record, {record}; {ratio} the reused ctx"),
    (r"BM_RsaOaep_Encrypt", "BM_OpenSSL_RsaOaep_Encrypt",
     "client: rsa_oaep_encrypt of the 48-byte pre_master; {ratio} EVP_PKEY_encrypt on a reused ctx"),
    (r"BM_RsaOaep_Decrypt", "BM_OpenSSL_RsaOaep_Decrypt",
     "rsa_oaep_decrypt, a context set up for the one call (tools, tests); {ratio} EVP_PKEY_decrypt on a reused ctx"),
    (r"BM_OaepDecryptor_Decrypt", "BM_OpenSSL_RsaOaep_Decrypt",
     "server: OaepDecryptor::decrypt, the context prepared once and copied per call; {ratio} EVP_PKEY_decrypt on a reused ctx"),
    (r"BM_RecoverPreMaster/valid", "BM_OpenSSL_RsaOaep_Decrypt",
     "server: recover_pre_master, honest ciphertext; {ratio} EVP_PKEY_decrypt"),
    (r"BM_RecoverPreMaster/tampered", "BM_OpenSSL_RsaOaep_Decrypt",
     "server: recover_pre_master, OAEP fails, random pre_master; {ratio} EVP_PKEY_decrypt"),
    (r"BM_OpenSSL_RsaOaep_Encrypt", None, "baseline: EVP_PKEY_encrypt, OAEP SHA-256, ctx set up once"),
    (r"BM_OpenSSL_RsaOaep_Decrypt", None, "baseline: EVP_PKEY_decrypt, OAEP SHA-256, ctx set up once"),
    (r"BM_Ocsp_BuildSign/(?P<ca>\w+)", "BM_OpenSSL_DigestSign/{ca}",
     "CA: build_ocsp_response (good, nonce), {cadesc}; {ratio} its one signature (the rest: CertID hashes, ASN.1, DER)"),
    (r"BM_Ocsp_Verify/(?P<ca>\w+)", "BM_OpenSSL_DigestVerify/{ca}",
     "client: verify_ocsp_response (§9 checks), {cadesc}; {ratio} its one signature check, most of the rest is parsing (OcspResponse_Parse)"),
    (r"BM_OpenSSL_DigestSign/(?P<ca>\w+)", None, "baseline: EVP_DigestSign SHA-256 of the same tbsResponseData, {cadesc}"),
    (r"BM_OpenSSL_DigestVerify/(?P<ca>\w+)", None, "baseline: EVP_DigestVerify of that signature, {cadesc}"),
    (r"BM_X509_VerifyServerCertificate", "BM_OpenSSL_X509_verify_cert",
     "client: verify_server_certificate (path, validity, EKU, DNS name); {ratio} X509_verify_cert set up the same"),
    (r"BM_X509_ParseAndVerify", "BM_OpenSSL_X509_verify_cert",
     "client: parse_certificate_der + verify_server_certificate; {ratio} X509_verify_cert alone, the rest is d2i_X509"),
    (r"BM_X509_ParseAndVerify_Memo", "BM_X509_ParseAndVerify",
     "client, a CERTIFICATE met before: the trust store's memo instead of d2i_X509 and path validation; {ratio} parsing and verifying anew"),
    (r"BM_OpenSSL_OcspResponse_Parse/(?P<ca>\w+)", None,
     "baseline: d2i_OCSP_RESPONSE + OCSP_response_get1_basic alone, {cadesc} (decodes the CA certificate in `certs`)"),
    (r"BM_OpenSSL_X509_verify_cert", "BM_OpenSSL_X509_verify",
     "baseline: X509_verify_cert with verify_server_certificate's settings; {ratio} the bare signature check"),
    (r"BM_OpenSSL_X509_verify", None, "baseline: X509_verify, the certificate's RSA signature alone"),
    (r"BM_OpenSSL_d2i_X509", None, "baseline: d2i_X509 of the ~0.9 KB certificate alone"),
    (r"BM_Crl_LookUp/(?P<n>\d+)", "BM_OpenSSL_X509_CRL_get0_by_serial/{n}",
     "client: look_up of a serial not listed in a CRL of {n} revoked serials; {ratio} X509_CRL_get0_by_serial alone"),
    (r"BM_OpenSSL_X509_CRL_get0_by_serial/(?P<n>\d+)", None,
     "baseline: X509_CRL_get0_by_serial (binary search of the sorted entries), {n} entries"),
    (r"BM_Crl_Verify/(?P<n>\d+)", "BM_OpenSSL_d2i_X509_CRL_verify/{n}",
     "client: verify_crl (§9.3 checks) of a CRL of {n} revoked serials, RSA-2048 CA; {ratio} its parse and signature check alone"),
    (r"BM_OpenSSL_d2i_X509_CRL_verify/(?P<n>\d+)", None,
     "baseline: d2i_X509_CRL + X509_CRL_verify, {n} entries"),
]


def format_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"


def format_rate(bytes_per_second):
    if bytes_per_second is None:
        return ""
    return f"{bytes_per_second / 2**30:.2f} GiB/s" if bytes_per_second >= 2**30 else f"{bytes_per_second / 2**20:.0f} MiB/s"


def main(path):
    with open(path) as source:
        data = json.load(source)
    medians = {}
    for bench in data["benchmarks"]:
        if bench.get("aggregate_name") == "median":
            ns = bench["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[bench["time_unit"]]
            medians[bench["run_name"]] = (ns, bench.get("bytes_per_second"), bench.get("label", ""))
    print("| benchmark | CPU time (median) | throughput | vs baseline | what it measures |")
    print("|---|---:|---:|---:|---|")
    for name, (ns, rate, label) in medians.items():
        for pattern, baseline, text in ROWS:
            match = re.fullmatch(pattern, name)
            if not match:
                continue
            fields = match.groupdict()
            if "suite" in fields:
                fields["record"] = record(fields)
            if "ca" in fields:
                fields["cadesc"] = CAS[fields["ca"]]
            ratio_cell, ratio_text = "", ""
            if baseline:
                base = baseline.format(**fields)
                if base in medians:
                    ratio = ns / medians[base][0]
                    shown = f"{ratio:.2f}" if ratio >= 0.01 else f"{ratio:.1e}"
                    ratio_cell = f"{shown}×"
                    ratio_text = f"{shown}× the time of"
            explanation = text.format(ratio=ratio_text, **fields)
            if label:
                explanation += f" ({label})"
            print(f"| `{name}` | {format_time(ns)} | {format_rate(rate)} | {ratio_cell} | {explanation} |")
            break
        else:
            print(f"| `{name}` | {format_time(ns)} | {format_rate(rate)} | | |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: report.py BENCHMARK_JSON")
    main(sys.argv[1])
