#include "tlslab/crypto/ecdhe.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <algorithm>

namespace tlslab::crypto {
namespace {

constexpr std::size_t x25519_size = 32;
constexpr std::size_t p256_point_size = 65;  // 04 ‖ x ‖ y
constexpr std::size_t p256_scalar_size = 32;

Failure bad_share(NamedGroup group, const std::string& why) {
  ERR_clear_error();
  return fail(AlertDescription::illegal_parameter,
              "the peer's " + std::string(to_string(group)) + " key share is not a valid public key: " + why);
}

using ParamBuild = std::unique_ptr<OSSL_PARAM_BLD, ossl::Deleter<&OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, ossl::Deleter<&OSSL_PARAM_free>>;

}  // namespace

EphemeralKey EphemeralKey::generate(NamedGroup group) {
  if (group == NamedGroup::x25519) {
    ossl::PKey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
    ossl::check(key != nullptr, "X25519 key generation");
    Bytes public_key(x25519_size);
    std::size_t length = public_key.size();
    ossl::check(EVP_PKEY_get_raw_public_key(key.get(), public_key.data(), &length) == 1 && length == x25519_size,
                "X25519 public key");
    return EphemeralKey(group, std::move(key), std::move(public_key));
  }
  ossl::PKey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ossl::check(key != nullptr, "P-256 key generation");
  Bytes public_key(p256_point_size);
  std::size_t length = 0;
  // Uncompressed, as TLS sends it (OpenSSL's default point format for EC keys).
  ossl::check(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, public_key.data(),
                                              public_key.size(), &length) == 1 &&
                  length == p256_point_size,
              "P-256 public key");
  return EphemeralKey(group, std::move(key), std::move(public_key));
}

EphemeralKey EphemeralKey::from_private_key(NamedGroup group, ByteView private_key, ByteView public_key) {
  if (group == NamedGroup::x25519) {
    ossl::PKey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), private_key.size()));
    ossl::check(key != nullptr, "X25519 private key");
    Bytes derived(x25519_size);
    std::size_t length = derived.size();
    ossl::check(EVP_PKEY_get_raw_public_key(key.get(), derived.data(), &length) == 1, "X25519 public key");
    return EphemeralKey(group, std::move(key), std::move(derived));
  }
  ossl::BigNum scalar(BN_bin2bn(private_key.data(), static_cast<int>(private_key.size()), nullptr));
  ParamBuild build(OSSL_PARAM_BLD_new());
  ossl::check(scalar && build &&
                  OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) == 1 &&
                  OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) == 1 &&
                  (public_key.empty() || OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                                                          public_key.data(), public_key.size()) == 1),
              "OSSL_PARAM_BLD");
  Params params(OSSL_PARAM_BLD_to_param(build.get()));
  ossl::PKeyCtx context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  ossl::check(params && context && EVP_PKEY_fromdata_init(context.get()) == 1 &&
                  EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_KEYPAIR, params.get()) == 1,
              "P-256 key pair");
  BN_clear(scalar.get());
  return EphemeralKey(group, ossl::PKey(key), Bytes(public_key.begin(), public_key.end()));
}

Secret EphemeralKey::private_key() const {
  if (group_ == NamedGroup::x25519) {
    Secret out(x25519_size);
    std::size_t length = out.size();
    ossl::check(EVP_PKEY_get_raw_private_key(key_.get(), out.data(), &length) == 1, "X25519 private key");
    return out;
  }
  BIGNUM* scalar = nullptr;
  ossl::check(EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_PRIV_KEY, &scalar) == 1, "P-256 private key");
  ossl::BigNum owned(scalar);
  Secret out(p256_scalar_size);
  ossl::check(BN_bn2binpad(owned.get(), out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size()),
              "P-256 private key");
  BN_clear(owned.get());
  return out;
}

Result<ossl::PKey> peer_public_key(NamedGroup group, ByteView encoded) {
  if (group == NamedGroup::x25519) {
    if (encoded.size() != x25519_size) return bad_share(group, std::to_string(encoded.size()) + " bytes, not 32");
    ossl::PKey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, encoded.data(), encoded.size()));
    if (!key) return bad_share(group, "OpenSSL does not take it");
    return key;
  }
  if (encoded.size() != p256_point_size || encoded[0] != 0x04) {
    return bad_share(group, "not an uncompressed point of 65 bytes starting with 04");
  }
  ParamBuild build(OSSL_PARAM_BLD_new());
  ossl::check(
      build && OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) == 1 &&
          OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded.data(), encoded.size()) == 1,
      "OSSL_PARAM_BLD");
  Params params(OSSL_PARAM_BLD_to_param(build.get()));
  ossl::PKeyCtx context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return bad_share(group, "not a point on the curve");
  }
  ossl::PKey owned(key);
  // EVP_PKEY_fromdata decodes the point; the full check (on the curve, not at infinity, in the
  // subgroup) is EVP_PKEY_public_check.
  ossl::PKeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, owned.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return bad_share(group, "not a point on the curve");
  return owned;
}

Result<Secret> EphemeralKey::derive(ByteView peer_public_key_bytes) const {
  auto peer = peer_public_key(group_, peer_public_key_bytes);
  if (!peer) return peer.failure();
  ossl::PKeyCtx context(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  ossl::check(context && EVP_PKEY_derive_init(context.get()) == 1, "EVP_PKEY_derive_init");
  if (EVP_PKEY_derive_set_peer(context.get(), peer.value().get()) != 1) {
    return bad_share(group_, "OpenSSL refuses it as a peer");
  }
  std::size_t length = 0;
  ossl::check(EVP_PKEY_derive(context.get(), nullptr, &length) == 1, "EVP_PKEY_derive");
  Secret shared(length);
  // OpenSSL's X25519 fails on an all-zero result (RFC 7748 §6.1); checked here too, so the rule
  // holds whatever the library does.
  if (EVP_PKEY_derive(context.get(), shared.data(), &length) != 1 ||
      std::all_of(shared.data(), shared.data() + length, [](std::uint8_t byte) { return byte == 0; })) {
    return bad_share(group_, "the shared secret is all zeros (a low-order point)");
  }
  return shared;
}

}  // namespace tlslab::crypto
