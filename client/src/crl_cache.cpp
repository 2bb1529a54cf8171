#include "crl_cache.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "tlslab/crypto/ossl.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"
#include "tlslab/time.hpp"

namespace tlslab::client {
namespace {

constexpr std::string_view magic = "tlslab CRL cache entry 1";
// The PEM of the largest list verify_crl takes, and the lines before it.
constexpr std::size_t max_entry_size = crypto::max_crl_size * 4 / 3 + crypto::max_crl_size / 32 + 4096;

// Why a file of the cache is not this user's alone; empty when it is.
std::string not_ours_alone(const struct stat& status) {
  if (status.st_uid != ::geteuid()) return "owned by another user";
  if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "writable by others";
  return {};
}

std::string hex_sha256(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ossl::check(EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) == 1, "EVP_Digest");
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += digits[digest[i] >> 4];
    hex += digits[digest[i] & 0x0f];
  }
  return hex;
}

// The value of a "name: value" line, or nullopt.
std::optional<std::string> field(std::istream& in, std::string_view name) {
  std::string line;
  if (!std::getline(in, line) || line.rfind(std::string(name) + ": ", 0) != 0) return std::nullopt;
  return line.substr(name.size() + 2);
}

std::optional<std::uint64_t> number(const std::optional<std::string>& text) {
  if (!text || text->empty() || text->size() > 20) return std::nullopt;
  std::size_t used = 0;
  try {
    std::uint64_t value = std::stoull(*text, &used);
    if (used != text->size() || (*text)[0] == '-') return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// One PEM X509 CRL as DER, or nullopt.
std::optional<Bytes> pem_to_der(std::string_view pem) {
  std::unique_ptr<BIO, ossl::Deleter<&BIO_free>> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return std::nullopt;
  crypto::CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!crl) return std::nullopt;
  return ossl::to_der<i2d_X509_CRL>(crl.get(), "i2d_X509_CRL");
}

}  // namespace

CrlCache::CrlCache(std::filesystem::path directory) : directory_(std::move(directory)) {
  const std::string name = directory_.string();
  struct stat status {};
  if (::stat(name.c_str(), &status) != 0) {
    if (errno != ENOENT) throw CrlCacheError("--crl-cache '" + name + "': " + std::strerror(errno));
    if (::mkdir(name.c_str(), 0700) != 0) {
      throw CrlCacheError("cannot create the CRL cache directory '" + name + "': " + std::strerror(errno));
    }
    if (::stat(name.c_str(), &status) != 0) throw CrlCacheError("--crl-cache '" + name + "': " + std::strerror(errno));
  }
  if (!S_ISDIR(status.st_mode)) {
    throw CrlCacheError("--crl-cache '" + name + "' is not a directory (give a directory, or a path to create one)");
  }
  if (std::string why = not_ours_alone(status); !why.empty()) {
    throw CrlCacheError("refusing the CRL cache directory " + name + ": " + why +
                        "; use a directory of your own (mkdir -m 700 DIR) or fix its mode (chmod 700 " + name + ")");
  }
}

std::filesystem::path CrlCache::path_for(std::string_view url) const {
  return directory_ / (hex_sha256(url) + ".crl");
}

std::optional<CrlCache::Entry> CrlCache::read(std::string_view url, std::string& note) const {
  const std::string path = path_for(url).string();
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) throw CrlCacheError("refusing the CRL cache entry " + path + ": a symbolic link; remove it");
    throw CrlCacheError("cannot read the CRL cache entry " + path + ": " + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat status {};
  if (::fstat(fd, &status) != 0) throw CrlCacheError("cannot read the CRL cache entry " + path);
  if (!S_ISREG(status.st_mode)) {
    throw CrlCacheError("refusing the CRL cache entry " + path + ": not a regular file; remove it");
  }
  if (std::string why = not_ours_alone(status); !why.empty()) {
    throw CrlCacheError("refusing the CRL cache entry " + path + ": " + why +
                        "; remove it or fix its mode (chmod 600 " + path + ")");
  }
  auto corrupt = [&](std::string_view why) -> std::optional<Entry> {
    note = "ignoring the corrupt CRL cache entry " + path + " (" + std::string(why) + "); fetching the list again";
    return std::nullopt;
  };
  if (static_cast<std::size_t>(status.st_size) > max_entry_size) return corrupt("too large");
  std::string text(static_cast<std::size_t>(status.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  std::istringstream in(text);
  std::string first;
  if (!std::getline(in, first) || first != magic) return corrupt("not a tlslab CRL cache entry");
  Entry entry;
  auto entry_url = field(in, "url");
  auto fetched_at = number(field(in, "fetched_at"));
  auto highest = number(field(in, "highest_number"));
  if (!entry_url || *entry_url != url) return corrupt("it is for another URL");
  if (!fetched_at || !highest) return corrupt("its fetched_at or highest_number is not a number");
  auto der = pem_to_der(std::string_view(text).substr(static_cast<std::size_t>(in.tellg())));
  if (!der) return corrupt("its list is not one PEM X509 CRL");
  entry.url = *entry_url;
  entry.der = std::move(*der);
  entry.fetched_at = static_cast<std::time_t>(*fetched_at);
  entry.highest_number = *highest;
  return entry;
}

void CrlCache::write(const Entry& entry) const {
  std::string content = std::string(magic) + "\nurl: " + entry.url +
                        "\nfetched_at: " + std::to_string(entry.fetched_at) +
                        "\nhighest_number: " + std::to_string(entry.highest_number) + "\n" + crypto::crl_pem(entry.der);
  write_output_file(path_for(entry.url).string(), content, "CRL cache entry", FileKind::secret);
}

CrlCache::Offer CrlCache::offer(const std::string& url, const crypto::TrustStore& trust, X509* certificate,
                                std::time_t now) const {
  Offer offer;
  auto entry = read(url, offer.note);
  if (!entry) return offer;
  offer.highest_number = entry->highest_number;
  // Checked again as when it was fetched (the issuer is this certificate's, the signature the
  // trusted CA's), then by time now.
  auto verified = crypto::verify_crl(entry->der, trust, certificate, std::nullopt, entry->fetched_at);
  if (!verified) {
    offer.note = "not using the cached CRL " + path_for(url).string() + ": " + verified.failure().reason;
    return offer;
  }
  if (auto fresh = crypto::check_crl_times(verified.value(), now); !fresh) {
    offer.note = "the cached CRL is not used: " + fresh.failure().reason;
    return offer;
  }
  net::CrlCheck check;
  check.url = url;
  check.fetched_at = entry->fetched_at;
  check.crl = std::move(verified).value();
  check.cached = true;
  check.highest_before = entry->highest_number;
  offer.usable = std::move(check);
  return offer;
}

void CrlCache::keep(const net::CrlCheck& check) const {
  if (!check.crl) return;
  Entry entry;
  entry.url = check.url;
  entry.der = ossl::to_der<i2d_X509_CRL>(check.crl->crl.get(), "i2d_X509_CRL");
  entry.fetched_at = check.fetched_at;
  entry.highest_number = std::max(check.crl->number, check.highest_before.value_or(0));
  write(entry);
}

}  // namespace tlslab::client
