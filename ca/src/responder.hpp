#pragma once
// The CA's answer to "is this certificate good?" (PROTOCOL.md §9): looks the certificate up in
// the database and signs an OCSP response. Shared by the framed service (arrows 3–4) and the
// standard OCSP-over-HTTP endpoint. Thread-safe: the key and certificate are read-only, the
// database and the memo of certificates serialize themselves.
#include <chrono>

#include "authority.hpp"
#include "database.hpp"
#include "tlslab/bytes.hpp"
#include "tlslab/crypto/certificate_memo.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::ca {

class Responder {
 public:
  // `remembered` bounds the certificates kept parsed between requests (0: none, e.g. for a
  // fuzzer, whose leak check would take every one kept for a leak).
  Responder(CaMaterial ca, Database& database, std::chrono::seconds validity, std::size_t remembered = 1024);

  // Arrow 4: an OCSPResponse for the request's certificate, with its nonce.
  [[nodiscard]] Bytes answer(const StatusRequest& request) const { return decide(request).ocsp_response; }
  // The same, with what was found and signed (for the CA's trace).
  struct Answer {
    Bytes ocsp_response;
    describe::CaAnswer facts;
  };
  [[nodiscard]] Answer decide(const StatusRequest& request) const;
  // RFC 6960 over HTTP: a DER OCSPRequest in, a DER OCSPResponse out (malformedRequest when it
  // does not parse).
  [[nodiscard]] Bytes answer_ocsp_request(ByteView der) const;

  [[nodiscard]] X509* ca_certificate() const noexcept { return ca_.certificate.get(); }
  // The CA's key and certificate, which also sign its CRL (crl_publisher.hpp).
  [[nodiscard]] const CaMaterial& ca() const noexcept { return ca_; }
  // Certificates kept parsed between requests (only this CA's).
  [[nodiscard]] std::size_t remembered_certificates() const { return memo_.size(); }

 private:
  [[nodiscard]] crypto::StatusAnswer status_of_serial(const ASN1_INTEGER* serial) const;

  CaMaterial ca_;
  std::string signer_;  // "EC P-256 key of /O=tlslab/CN=…, ECDSA with SHA-256": what signs every answer
  // Certificates this CA issued and was asked about before, parsed (at most 1,024 and 1 MiB of
  // DER): the status itself is read from the database for every request.
  mutable crypto::CertificateMemo memo_;
  Database& database_;
  std::chrono::seconds validity_;
};

}  // namespace tlslab::ca
