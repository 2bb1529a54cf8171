#include "tlslab/cipher_suite.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "tlslab/text.hpp"

namespace tlslab {
namespace {

constexpr std::array<SuiteInfo, 6> registry{{
    {CipherSuite::rsa_oaep_aes_128_gcm_sha256, "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256", "aes128gcm",
     KeyExchange::rsa_oaep, Aead::aes_128_gcm, HashAlgorithm::sha256, 16, 12},
    {CipherSuite::rsa_oaep_aes_256_gcm_sha384, "TLSLAB_RSA_OAEP_WITH_AES_256_GCM_SHA384", "aes256gcm",
     KeyExchange::rsa_oaep, Aead::aes_256_gcm, HashAlgorithm::sha384, 32, 12},
    {CipherSuite::rsa_oaep_chacha20_poly1305_sha256, "TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256", "chacha20",
     KeyExchange::rsa_oaep, Aead::chacha20_poly1305, HashAlgorithm::sha256, 32, 12},
    {CipherSuite::ecdhe_aes_128_gcm_sha256, "TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256", "ecdhe-aes128gcm",
     KeyExchange::ecdhe, Aead::aes_128_gcm, HashAlgorithm::sha256, 16, 12},
    {CipherSuite::ecdhe_aes_256_gcm_sha384, "TLSLAB_ECDHE_WITH_AES_256_GCM_SHA384", "ecdhe-aes256gcm",
     KeyExchange::ecdhe, Aead::aes_256_gcm, HashAlgorithm::sha384, 32, 12},
    {CipherSuite::ecdhe_chacha20_poly1305_sha256, "TLSLAB_ECDHE_WITH_CHACHA20_POLY1305_SHA256", "ecdhe-chacha20",
     KeyExchange::ecdhe, Aead::chacha20_poly1305, HashAlgorithm::sha256, 32, 12},
}};

struct GroupName {
  NamedGroup group;
  std::string_view name;
  std::string_view alias;
};
constexpr std::array<GroupName, 2> groups{{
    {NamedGroup::x25519, "x25519", "x25519"},
    {NamedGroup::secp256r1, "secp256r1", "p256"},
}};

}  // namespace

std::optional<SuiteInfo> suite_info(CipherSuite suite) {
  return suite_info(static_cast<std::uint16_t>(suite));
}

std::optional<SuiteInfo> suite_info(std::uint16_t value) {
  for (const auto& info : registry) {
    if (static_cast<std::uint16_t>(info.suite) == value) return info;
  }
  return std::nullopt;
}

std::span<const SuiteInfo> all_suites() {
  return registry;
}

std::vector<CipherSuite> default_suites() {
  return {CipherSuite::rsa_oaep_aes_128_gcm_sha256,    CipherSuite::rsa_oaep_chacha20_poly1305_sha256,
          CipherSuite::rsa_oaep_aes_256_gcm_sha384,    CipherSuite::ecdhe_aes_128_gcm_sha256,
          CipherSuite::ecdhe_chacha20_poly1305_sha256, CipherSuite::ecdhe_aes_256_gcm_sha384};
}

std::string default_suite_names() {
  std::string names;
  for (CipherSuite suite : default_suites())
    names += (names.empty() ? "" : ",") + std::string(suite_info(suite)->short_name);
  return names;
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
      error = "unknown cipher suite '" + std::string(name) +
              "'; known: aes128gcm, aes256gcm, chacha20 (RSA key transport), ecdhe-aes128gcm, ecdhe-aes256gcm, "
              "ecdhe-chacha20 (ECDHE)";
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

std::string_view to_string(KeyExchange key_exchange) {
  return key_exchange == KeyExchange::rsa_oaep ? "RSA key transport" : "ECDHE";
}

std::optional<NamedGroup> named_group(std::uint16_t value) {
  for (const auto& known : groups) {
    if (static_cast<std::uint16_t>(known.group) == value) return known.group;
  }
  return std::nullopt;
}

std::string_view to_string(NamedGroup group) {
  for (const auto& known : groups) {
    if (known.group == group) return known.name;
  }
  return "?";
}

std::vector<NamedGroup> default_groups() {
  return {NamedGroup::x25519, NamedGroup::secp256r1};
}

std::optional<std::vector<NamedGroup>> parse_group_list(std::string_view list, std::string& error) {
  std::vector<NamedGroup> chosen;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (name.empty()) continue;
    auto found = std::find_if(groups.begin(), groups.end(),
                              [&](const GroupName& known) { return name == known.name || name == known.alias; });
    if (found == groups.end()) {
      error = "unknown group '" + std::string(name) + "'; known: x25519, p256 (secp256r1)";
      return std::nullopt;
    }
    chosen.push_back(found->group);
  }
  if (chosen.empty()) {
    error = "the group list is empty";
    return std::nullopt;
  }
  return chosen;
}

}  // namespace tlslab
