#include "crl_publisher.hpp"

#include <openssl/objects.h>
#include <openssl/x509.h>

#include <charconv>
#include <stdexcept>

#include "tlslab/crypto/crl.hpp"
#include "tlslab/text.hpp"

namespace tlslab::ca {

std::chrono::seconds parse_crl_lifetime(std::string_view text, std::string_view option) {
  std::string usage = std::string(option) + " '" + printable(text.substr(0, 32)) +
                      "' is not a duration: write it as 90s, 30m, 1h or 2d (at most 10d)";
  if (text.size() < 2 || text.size() > 12) throw std::invalid_argument(usage);
  std::uint64_t count = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size() - 1, count);
  if (error != std::errc() || end != text.data() + text.size() - 1) throw std::invalid_argument(usage);
  std::uint64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: throw std::invalid_argument(usage);
  }
  if (count == 0) throw std::invalid_argument(std::string(option) + " must be more than 0: a CRL valid for no time");
  auto limit = static_cast<std::uint64_t>(crypto::max_crl_lifetime.count());
  if (count > limit / unit) {
    throw std::invalid_argument(std::string(option) + " '" + std::string(text) +
                                "' is more than 10 days: clients refuse a CRL whose nextUpdate is further than that "
                                "from its thisUpdate (CA/Browser Forum BR §4.9.7)");
  }
  return std::chrono::seconds(count * unit);
}

SignedCrl sign_crl(const CaMaterial& ca, Database& database, std::chrono::seconds lifetime, std::time_t now) {
  SignedCrl signed_crl;
  // The revision before the entries: a revocation in between is listed and also makes the list
  // look stale, so it is signed once more, never missed.
  signed_crl.revision = database.revision();
  crypto::CrlContents contents;
  for (auto& record : database.revoked()) {
    contents.revoked.push_back({std::move(record.serial), record.revoked_at, record.reason});
  }
  contents.this_update = now;
  contents.next_update = now + static_cast<std::time_t>(lifetime.count());
  // Taken last, just before signing: a list that could not be read takes no number.
  contents.number = database.next_crl_number();
  signed_crl.der = crypto::build_crl(ca.certificate.get(), ca.key.get(), contents);
  signed_crl.number = contents.number;
  signed_crl.this_update = contents.this_update;
  signed_crl.next_update = contents.next_update;
  signed_crl.revoked_count = contents.revoked.size();
  int nid = NID_undef;
  const unsigned char* cursor = signed_crl.der.data();
  crypto::CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(signed_crl.der.size())));
  if (crl) nid = X509_CRL_get_signature_nid(crl.get());
  signed_crl.signature_algorithm = nid != NID_undef ? OBJ_nid2ln(nid) : "unknown";
  return signed_crl;
}

std::string why_stale(const SignedCrl& crl, std::uint64_t revision, std::time_t now) {
  std::string list = "list #" + std::to_string(crl.number);
  if (revision != crl.revision) return "a certificate was revoked since " + list + " was signed";
  std::time_t validity = crl.next_update - crl.this_update;
  // Less than a quarter left: a client that fetched it now could keep it only a short while.
  if ((crl.next_update - now) * 4 < validity) return "less than a quarter of " + list + "'s validity was left";
  return {};
}

CrlPublisher::Published CrlPublisher::current(std::time_t now) {
  std::lock_guard lock(mutex_);
  std::string why = kept_ ? why_stale(*kept_, database_.revision(), now) : "the first list this service publishes";
  if (!why.empty()) kept_ = std::make_shared<const SignedCrl>(sign_crl(ca_, database_, lifetime_, now));
  return {kept_, std::move(why)};
}

}  // namespace tlslab::ca
