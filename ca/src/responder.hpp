#pragma once
// The CA's answer to "is this certificate good?" (PROTOCOL.md §9): looks the certificate up in
// the status book (the database's statuses in memory, read again when the database changed:
// status_book.hpp) and signs an OCSP response. Shared by the framed service (arrows 3–4) and the
// standard OCSP-over-HTTP endpoint. Thread-safe: the key and certificate are read-only, the
// book and the memo of certificates serialize themselves.
#include <chrono>

#include "authority.hpp"
#include "database.hpp"
#include "status_book.hpp"
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
  [[nodiscard]] Bytes answer_ocsp_request(ByteView der) const { return decide_ocsp_request(der).ocsp_response; }
  // The same, with what was signed for each CertID (for the CA's trace, which so needs not parse
  // the answer again: with the CA certificate in it, that cost more than the signature).
  struct SignedSingle {
    std::string serial;  // as Database::normalize_serial writes it; "(none)" when absent
    bool issued_here = false;
    crypto::StatusAnswer status;
  };
  static constexpr std::size_t max_singles_kept = 8;  // what the trace shows of a request
  struct OcspAnswer {
    Bytes ocsp_response;
    bool signed_answer = false;         // false: an unsigned malformedRequest
    std::vector<SignedSingle> singles;  // the first max_singles_kept CertIDs' (a request may name many)
    std::time_t this_update = 0;
    std::time_t next_update = 0;
  };
  [[nodiscard]] OcspAnswer decide_ocsp_request(ByteView der) const;
  // "ecdsa-with-SHA256" or "sha256WithRSAEncryption": what every answer is signed with.
  [[nodiscard]] const std::string& signature_algorithm() const noexcept { return signature_algorithm_; }
  // How many times the status book was read from the database (for tests).
  [[nodiscard]] std::uint64_t status_reads() const { return book_.reads(); }

  [[nodiscard]] X509* ca_certificate() const noexcept { return ca_.certificate.get(); }
  // The CA's key and certificate, which also sign its CRL (crl_publisher.hpp).
  [[nodiscard]] const CaMaterial& ca() const noexcept { return ca_; }
  // Certificates kept parsed between requests (only this CA's).
  [[nodiscard]] std::size_t remembered_certificates() const { return memo_.size(); }

 private:
  [[nodiscard]] crypto::StatusAnswer status_of_serial(const ASN1_INTEGER* serial) const;

  CaMaterial ca_;
  std::string signer_;  // "EC P-256 key of /O=tlslab/CN=…, ECDSA with SHA-256": what signs every answer
  std::string signature_algorithm_;
  // Certificates this CA issued and was asked about before, parsed (at most 1,024 and 1 MiB of
  // DER): the status itself comes from the book, current as of the latest commit.
  mutable crypto::CertificateMemo memo_;
  mutable StatusBook book_;
  std::chrono::seconds validity_;
};

}  // namespace tlslab::ca
