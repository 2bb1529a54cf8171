#include "tlslab/crypto/certificate_memo.hpp"

#include <algorithm>

#include "tlslab/crypto/x509.hpp"

namespace tlslab::crypto {
namespace {

ossl::X509Ptr another_reference(X509* certificate) {
  ossl::check(X509_up_ref(certificate) == 1, "X509_up_ref");
  return ossl::X509Ptr(certificate);
}

}  // namespace

Result<ossl::X509Ptr> CertificateMemo::parse(ByteView der) {
  if (ossl::X509Ptr known = find(der)) return known;
  auto parsed = parse_certificate_der(der);  // outside the lock: the slow part
  if (!parsed) return parsed;
  return remember(der, std::move(parsed).value());
}

ossl::X509Ptr CertificateMemo::find(ByteView der) const {
  std::string key(der.begin(), der.end());
  std::lock_guard lock(mutex_);
  auto found = by_der_.find(key);
  return found == by_der_.end() ? nullptr : another_reference(found->second.certificate.get());
}

ossl::X509Ptr CertificateMemo::remember(ByteView der, ossl::X509Ptr certificate) {
  std::size_t cost = estimated_cost(der.size());
  if (capacity_ == 0 || cost > max_cost_) return certificate;  // would not fit even alone
  std::string key(der.begin(), der.end());
  std::lock_guard lock(mutex_);
  if (auto found = by_der_.find(key); found != by_der_.end()) {
    return another_reference(found->second.certificate.get());  // another thread remembered it meanwhile
  }
  if (by_der_.size() >= capacity_ || cost_ + cost > max_cost_) {  // full: start over
    by_object_.clear();
    by_der_.clear();
    cost_ = 0;
  }
  cost_ += cost;
  auto slot = by_der_.try_emplace(std::move(key)).first;
  slot->second.certificate = another_reference(certificate.get());
  by_object_[slot->second.certificate.get()] = &slot->second;
  return certificate;
}

std::size_t CertificateMemo::size() const {
  std::lock_guard lock(mutex_);
  return by_der_.size();
}

std::size_t CertificateMemo::cost() const {
  std::lock_guard lock(mutex_);
  return cost_;
}

bool CertificateMemo::knows(X509* certificate, std::string_view fact, std::time_t now) const {
  std::lock_guard lock(mutex_);
  auto found = by_object_.find(certificate);
  if (found == by_object_.end()) return false;
  const auto& facts = found->second->facts;
  return std::any_of(facts.begin(), facts.end(), [&](const Fact& known) {
    return known.name == fact && known.valid_from <= now && now < known.valid_until;
  });
}

void CertificateMemo::learn(X509* certificate, std::string fact, std::time_t valid_from, std::time_t valid_until) {
  std::lock_guard lock(mutex_);
  auto found = by_object_.find(certificate);
  if (found == by_object_.end()) return;
  auto& facts = found->second->facts;
  if (facts.size() >= 16) facts.clear();  // a certificate asked about for many names: stay bounded
  facts.push_back({std::move(fact), valid_from, valid_until});
}

}  // namespace tlslab::crypto
