#include "tlslab/cipher_suite.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "tlslab/text.hpp"

namespace tlslab {
namespace {

constexpr std::array<SuiteInfo, 3> registry{{
    {CipherSuite::rsa_oaep_aes_128_gcm_sha256, "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256", "aes128gcm",
     Aead::aes_128_gcm, HashAlgorithm::sha256, 16, 12},
    {CipherSuite::rsa_oaep_aes_256_gcm_sha384, "TLSLAB_RSA_OAEP_WITH_AES_256_GCM_SHA384", "aes256gcm",
     Aead::aes_256_gcm, HashAlgorithm::sha384, 32, 12},
    {CipherSuite::rsa_oaep_chacha20_poly1305_sha256, "TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256",
     "chacha20", Aead::chacha20_poly1305, HashAlgorithm::sha256, 32, 12},
}};

}  // namespace

std::optional<SuiteInfo> suite_info(CipherSuite suite) { return suite_info(static_cast<std::uint16_t>(suite)); }

std::optional<SuiteInfo> suite_info(std::uint16_t value) {
  for (const auto& info : registry) {
    if (static_cast<std::uint16_t>(info.suite) == value) return info;
  }
  return std::nullopt;
}

std::span<const SuiteInfo> all_suites() { return registry; }

std::vector<CipherSuite> default_suites() {
  return {CipherSuite::rsa_oaep_aes_128_gcm_sha256, CipherSuite::rsa_oaep_chacha20_poly1305_sha256,
          CipherSuite::rsa_oaep_aes_256_gcm_sha384};
}

std::optional<std::vector<CipherSuite>> parse_suite_list(std::string_view list, std::string& error) {
  std::vector<CipherSuite> suites;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (name.empty()) continue;
    bool found = false;
    for (const auto& info : registry) {
      if (name == info.short_name || name == info.name) {
        suites.push_back(info.suite);
        found = true;
      }
    }
    if (!found) {
      error = "unknown cipher suite '" + std::string(name) + "'; known: aes128gcm, aes256gcm, chacha20";
      return std::nullopt;
    }
  }
  if (suites.empty()) {
    error = "the cipher-suite list is empty";
    return std::nullopt;
  }
  return suites;
}

std::string suite_name(std::uint16_t value) {
  if (auto info = suite_info(value)) return std::string(info->name);
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%04X", value);
  return std::string("unknown suite ") + hex;
}

std::string suite_list(std::span<const std::uint16_t> suites, std::size_t max_shown) {
  std::string text;
  std::size_t shown = std::min(suites.size(), max_shown);
  for (std::size_t i = 0; i < shown; ++i) text += (i ? ", " : "") + suite_name(suites[i]);
  return shortened_list(text, shown, suites.size());
}

std::string_view to_string(HashAlgorithm hash) {
  return hash == HashAlgorithm::sha256 ? "SHA-256" : "SHA-384";
}

}  // namespace tlslab
