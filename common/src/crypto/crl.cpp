#include "tlslab/crypto/crl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include "tlslab/time.hpp"

namespace tlslab::crypto {
namespace {

Failure bad_list(const std::string& reason) {
  ERR_clear_error();
  return fail(AlertDescription::bad_certificate_status_response, reason);
}

ossl::Asn1Time asn1_time(std::time_t when) {
  ossl::Asn1Time time(ASN1_TIME_set(nullptr, when));
  ossl::check(time != nullptr, "ASN1_TIME_set");
  return time;
}

ossl::Asn1Integer serial_integer(const std::string& hex) {
  BIGNUM* number = nullptr;
  if (hex.empty() || hex.size() > 40 || BN_hex2bn(&number, hex.c_str()) != static_cast<int>(hex.size())) {
    BN_free(number);
    ERR_clear_error();
    throw std::invalid_argument("serial '" + hex + "' is not hexadecimal");
  }
  ossl::BigNum owned(number);
  ossl::Asn1Integer serial(BN_to_ASN1_INTEGER(owned.get(), nullptr));
  ossl::check(serial != nullptr, "BN_to_ASN1_INTEGER");
  return serial;
}

void add_extension(X509_CRL* crl, int nid, void* value, int critical) {
  ossl::check(X509_CRL_add1_ext_i2d(crl, nid, value, critical, X509V3_ADD_DEFAULT) == 1, "X509_CRL_add1_ext_i2d");
}

std::string algorithm_name(const X509_CRL* crl) {
  const X509_ALGOR* algorithm = nullptr;
  X509_CRL_get0_signature(crl, nullptr, &algorithm);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  return oid ? OBJ_nid2ln(OBJ_obj2nid(oid)) : "?";
}

// The extensions a client understands (RFC 5280 §5.2 and §5.3): any other marked critical makes
// the list unusable (§5.2: "MUST reject the CRL").
bool known_list_extension(int nid) {
  return nid == NID_authority_key_identifier || nid == NID_crl_number || nid == NID_issuer_alt_name;
}
bool known_entry_extension(int nid) {
  return nid == NID_crl_reason || nid == NID_invalidity_date;
}

std::string extension_name(X509_EXTENSION* extension) {
  char text[80];
  OBJ_obj2txt(text, sizeof text, X509_EXTENSION_get_object(extension), 0);
  return text;
}

}  // namespace

Bytes build_crl(X509* ca_certificate, EVP_PKEY* ca_key, const CrlContents& contents) {
  CrlPtr crl(X509_CRL_new());
  ossl::check(crl != nullptr, "X509_CRL_new");
  ossl::check(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1, "X509_CRL_set_version");
  ossl::check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_certificate)) == 1,
              "X509_CRL_set_issuer_name");
  ossl::check(X509_CRL_set1_lastUpdate(crl.get(), asn1_time(contents.this_update).get()) == 1, "lastUpdate");
  ossl::check(X509_CRL_set1_nextUpdate(crl.get(), asn1_time(contents.next_update).get()) == 1, "nextUpdate");
  for (const RevokedSerial& entry : contents.revoked) {
    X509_REVOKED* revoked = X509_REVOKED_new();
    ossl::check(revoked != nullptr, "X509_REVOKED_new");
    std::unique_ptr<X509_REVOKED, ossl::Deleter<&X509_REVOKED_free>> owned(revoked);
    ossl::check(X509_REVOKED_set_serialNumber(revoked, serial_integer(entry.serial).get()) == 1, "serialNumber");
    ossl::check(X509_REVOKED_set_revocationDate(revoked, asn1_time(entry.revocation_time).get()) == 1,
                "revocationDate");
    if (entry.reason > 0) {
      std::unique_ptr<ASN1_ENUMERATED, ossl::Deleter<&ASN1_ENUMERATED_free>> reason(ASN1_ENUMERATED_new());
      ossl::check(reason && ASN1_ENUMERATED_set(reason.get(), entry.reason) == 1, "ASN1_ENUMERATED_set");
      ossl::check(X509_REVOKED_add1_ext_i2d(revoked, NID_crl_reason, reason.get(), 0, X509V3_ADD_DEFAULT) == 1,
                  "CRLReason");
    }
    ossl::check(X509_CRL_add0_revoked(crl.get(), owned.release()) == 1, "X509_CRL_add0_revoked");
  }
  ossl::check(X509_CRL_sort(crl.get()) == 1, "X509_CRL_sort");

  ossl::Asn1Integer number(ASN1_INTEGER_new());
  ossl::check(number && ASN1_INTEGER_set_uint64(number.get(), contents.number) == 1, "cRLNumber");
  add_extension(crl.get(), NID_crl_number, number.get(), 0);
  X509V3_CTX context;
  X509V3_set_ctx(&context, ca_certificate, nullptr, nullptr, crl.get(), 0);
  ossl::X509Extension key_id(X509V3_EXT_nconf_nid(nullptr, &context, NID_authority_key_identifier, "keyid:always"));
  ossl::check(key_id != nullptr, "authorityKeyIdentifier");
  ossl::check(X509_CRL_add_ext(crl.get(), key_id.get(), -1) == 1, "X509_CRL_add_ext");

  ossl::check(X509_CRL_sign(crl.get(), ca_key, EVP_sha256()) > 0, "X509_CRL_sign");
  return ossl::to_der<i2d_X509_CRL>(crl.get(), "i2d_X509_CRL");
}

std::string crl_pem(ByteView der) {
  const unsigned char* cursor = der.data();
  CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
  ossl::check(crl != nullptr, "d2i_X509_CRL");
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  ossl::check(bio && PEM_write_bio_X509_CRL(bio.get(), crl.get()) == 1, "PEM_write_bio_X509_CRL");
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(length)};
}

Result<VerifiedCrl> verify_crl(ByteView der, const TrustStore& trust, X509* certificate,
                               std::optional<std::uint64_t> last_number, std::optional<std::time_t> at) {
  if (der.size() > max_crl_size) {
    return bad_list("the CRL is " + std::to_string(der.size()) + " bytes, more than the " +
                    std::to_string(max_crl_size) + " a client reads");
  }
  const unsigned char* cursor = der.data();
  CrlPtr parsed(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
  if (!parsed) return bad_list(ossl::error_string("the CRL is not a DER CertificateList"));
  if (cursor != der.data() + der.size()) return bad_list("the CRL has bytes after its CertificateList");
  X509_CRL* crl = parsed.get();
  if (X509_CRL_get_version(crl) != X509_CRL_VERSION_2) return bad_list("the CRL is not version 2 (RFC 5280 §5.1.2.1)");

  // The issuer: the certificate's, a trust anchor, and the key that signed the list.
  X509* issuer = trust.issuer_of(certificate);
  if (issuer == nullptr) return bad_list("no trusted issuer for the certificate the CRL would be about");
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
    char name[256];
    X509_NAME_oneline(X509_CRL_get_issuer(crl), name, sizeof name);
    return bad_list(std::string("the CRL is issued by '") + name + "', not by the certificate's issuer '" +
                    subject_of(issuer) + "'");
  }
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
  if (issuer_key == nullptr || X509_CRL_verify(crl, issuer_key) != 1) {
    return bad_list(ossl::error_string("the CRL's signature does not verify with the CA'S PUBLIC KEY of '" +
                                       subject_of(issuer) + "'"));
  }

  // Extensions: what the list says about itself.
  for (int i = 0; i < X509_CRL_get_ext_count(crl); ++i) {
    X509_EXTENSION* extension = X509_CRL_get_ext(crl, i);
    int nid = OBJ_obj2nid(X509_EXTENSION_get_object(extension));
    if (nid == NID_delta_crl)
      return bad_list("the CRL is a delta CRL (deltaCRLIndicator): only complete lists are used");
    if (nid == NID_issuing_distribution_point) {
      return bad_list("the CRL has an issuingDistributionPoint: a partitioned or indirect list is not used");
    }
    if (X509_EXTENSION_get_critical(extension) && !known_list_extension(nid)) {
      return bad_list("the CRL has an unknown critical extension " + extension_name(extension) +
                      " (RFC 5280 §5.2: it must be rejected)");
    }
  }
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
    X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
    for (int j = 0; j < X509_REVOKED_get_ext_count(entry); ++j) {
      X509_EXTENSION* extension = X509_REVOKED_get_ext(entry, j);
      if (X509_EXTENSION_get_critical(extension) &&
          !known_entry_extension(OBJ_obj2nid(X509_EXTENSION_get_object(extension)))) {
        return bad_list("a CRL entry has an unknown critical extension " + extension_name(extension));
      }
    }
  }
  int critical = 0;
  std::unique_ptr<ASN1_INTEGER, ossl::Deleter<&ASN1_INTEGER_free>> number_field(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, &critical, nullptr)));
  std::uint64_t number = 0;
  if (!number_field || ASN1_INTEGER_get_uint64(&number, number_field.get()) != 1) {
    return bad_list(
        "the CRL has no usable cRLNumber (RFC 5280 §5.2.3), so a replayed old list could not be told apart");
  }
  if (last_number && number < *last_number) {
    return bad_list("the CRL's number " + std::to_string(number) + " is below " + std::to_string(*last_number) +
                    ", the highest this client has seen: an old list replayed");
  }

  VerifiedCrl verified;
  auto this_update = to_time_t(X509_CRL_get0_lastUpdate(crl));
  auto next_update = to_time_t(X509_CRL_get0_nextUpdate(crl));
  if (!this_update || !next_update) return bad_list("the CRL lacks thisUpdate or nextUpdate");
  verified.number = number;
  verified.this_update = *this_update;
  verified.next_update = *next_update;
  if (verified.next_update < verified.this_update) return bad_list("the CRL's nextUpdate is before its thisUpdate");
  if (verified.next_update - verified.this_update > max_crl_lifetime.count()) {
    return bad_list("the CRL's nextUpdate " + utc_time(verified.next_update) + " is too far in the future: " +
                    std::to_string((verified.next_update - verified.this_update) / 86400) +
                    " days after its thisUpdate, more than the 10 allowed");
  }
  if (auto times = check_crl_times(verified, at.value_or(std::time(nullptr))); !times) return times.failure();

  char name[256];
  X509_NAME_oneline(X509_CRL_get_issuer(crl), name, sizeof name);
  verified.issuer = name;
  verified.signature_algorithm = algorithm_name(crl);
  verified.revoked_count = static_cast<std::size_t>(std::max(0, sk_X509_REVOKED_num(entries)));
  verified.size = der.size();
  verified.crl = std::shared_ptr<X509_CRL>(parsed.release(), X509_CRL_free);
  return verified;
}

Result<void> check_crl_times(const VerifiedCrl& crl, std::time_t now) {
  if (crl.this_update > now + ocsp_clock_skew.count()) {
    return bad_list("the CRL's thisUpdate " + utc_time(crl.this_update) + " is in the future");
  }
  if (crl.next_update < now) {
    return bad_list("the CRL is stale: its nextUpdate " + utc_time(crl.next_update) +
                    " has passed, and the CA has not published a newer one");
  }
  return {};
}

StatusAnswer look_up(const VerifiedCrl& crl, X509* certificate) {
  X509_REVOKED* entry = nullptr;
  // 1: listed; 2: listed as removeFromCRL (only in delta lists, refused above); 0: not listed.
  int found = X509_CRL_get0_by_serial(crl.crl.get(), &entry, X509_get0_serialNumber(certificate));
  StatusAnswer answer;
  if (found != 1 || entry == nullptr) {
    answer.status = CertStatus::good;
    return answer;
  }
  answer.status = CertStatus::revoked;
  answer.revocation_time = to_time_t(X509_REVOKED_get0_revocationDate(entry)).value_or(0);
  std::unique_ptr<ASN1_ENUMERATED, ossl::Deleter<&ASN1_ENUMERATED_free>> reason(
      static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr)));
  answer.revocation_reason = reason ? static_cast<int>(ASN1_ENUMERATED_get(reason.get())) : 0;
  ERR_clear_error();
  return answer;
}

std::optional<std::string> crl_distribution_point(X509* certificate) {
  std::unique_ptr<CRL_DIST_POINTS, decltype([](CRL_DIST_POINTS* points) { CRL_DIST_POINTS_free(points); })> points(
      static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(certificate, NID_crl_distribution_points, nullptr, nullptr)));
  if (!points) {
    ERR_clear_error();
    return std::nullopt;
  }
  for (int i = 0; i < sk_DIST_POINT_num(points.get()); ++i) {
    DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
    if (point->distpoint == nullptr || point->distpoint->type != 0) continue;  // 0: fullName
    GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                       static_cast<std::size_t>(ASN1_STRING_length(uri)));
      if (text.rfind("http://", 0) == 0) return text;
    }
  }
  return std::nullopt;
}

}  // namespace tlslab::crypto
