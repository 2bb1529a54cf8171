#include "test_pki.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace tlslab::test {
namespace {

ossl::X509Ptr issue(const ca::CaMaterial& issuer, EVP_PKEY* key, const std::string& common_name,
                    std::vector<std::string> subject_alt_names, ca::Validity validity) {
  return ca::issue_certificate(issuer, key, ca::IssueRequest{common_name, std::move(subject_alt_names), validity});
}

TestPki make_test_pki() {
  std::time_t now = std::time(nullptr);
  // The CAs are valid well around every time the tests use: OpenSSL checks the anchor's validity too.
  ca::Validity ca_validity{now - 365 * one_day, now + 10 * 365 * one_day};
  TestPki pki{
      .ca = ca::make_ca(ca::KeyType::rsa2048, "tlslab test CA", ca_validity),
      .other_ca = ca::make_ca(ca::KeyType::ec_p256, "tlslab other CA", ca_validity),
      .server_key = ca::generate_key(ca::KeyType::rsa2048),
      .server_certificate = nullptr,
      .expired_certificate = nullptr,
      .not_yet_valid_certificate = nullptr,
      .other_ca_certificate = nullptr,
      .second_certificate = nullptr,
      .ec_server_key = ca::generate_key(ca::KeyType::ec_p256),
      .ec_server_certificate = nullptr,
  };
  EVP_PKEY* key = pki.server_key.get();
  std::vector<std::string> sans{"DNS:localhost", "DNS:" + server_dns_name, "IP:" + server_ip};
  pki.server_certificate = issue(pki.ca, key, "server.test", sans, {now - one_day, now + 365 * one_day});
  pki.expired_certificate = issue(pki.ca, key, "expired.test", sans, {now - 30 * one_day, now - one_day});
  pki.not_yet_valid_certificate = issue(pki.ca, key, "future.test", sans, {now + one_day, now + 30 * one_day});
  pki.other_ca_certificate = issue(pki.other_ca, key, "server.test", sans, {now - one_day, now + 365 * one_day});
  pki.second_certificate = issue(pki.ca, key, "second.test", {"DNS:second.test"}, {now - one_day, now + 365 * one_day});
  pki.ec_server_certificate =
      issue(pki.ca, pki.ec_server_key.get(), "server.test", sans, {now - one_day, now + 365 * one_day});
  return pki;
}

}  // namespace

const TestPki& test_pki() {
  static const TestPki pki = make_test_pki();
  return pki;
}

ossl::X509Ptr share(X509* certificate) {
  ossl::check(X509_up_ref(certificate) == 1, "X509_up_ref");
  return ossl::X509Ptr(certificate);
}

crypto::TrustStore trust_store_with_test_ca() {
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(share(test_pki().ca.certificate.get()));
  return crypto::TrustStore(std::move(anchors));
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tlslab-unit-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace tlslab::test
