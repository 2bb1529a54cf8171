#pragma once
// RAII for every OpenSSL handle, and OpenSSL's error queue turned into a message.
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tlslab::ossl {

template <auto Free>
struct Deleter {
  void operator()(auto* handle) const noexcept { Free(handle); }
};

using PKey = std::unique_ptr<EVP_PKEY, Deleter<&EVP_PKEY_free>>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<&EVP_PKEY_CTX_free>>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, Deleter<&EVP_CIPHER_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<&EVP_MD_CTX_free>>;
using Kdf = std::unique_ptr<EVP_KDF, Deleter<&EVP_KDF_free>>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, Deleter<&EVP_KDF_CTX_free>>;
using Cipher = std::unique_ptr<EVP_CIPHER, Deleter<&EVP_CIPHER_free>>;
using Md = std::unique_ptr<EVP_MD, Deleter<&EVP_MD_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<&X509_free>>;
using X509Store = std::unique_ptr<X509_STORE, Deleter<&X509_STORE_free>>;
using X509StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<&X509_STORE_CTX_free>>;
using X509Name = std::unique_ptr<X509_NAME, Deleter<&X509_NAME_free>>;
using X509Extension = std::unique_ptr<X509_EXTENSION, Deleter<&X509_EXTENSION_free>>;
using Asn1Integer = std::unique_ptr<ASN1_INTEGER, Deleter<&ASN1_INTEGER_free>>;
using Asn1Time = std::unique_ptr<ASN1_TIME, Deleter<&ASN1_TIME_free>>;
using BigNum = std::unique_ptr<BIGNUM, Deleter<&BN_free>>;
using Bio = std::unique_ptr<BIO, Deleter<&BIO_free_all>>;
using OcspRequest = std::unique_ptr<OCSP_REQUEST, Deleter<&OCSP_REQUEST_free>>;
using OcspResponse = std::unique_ptr<OCSP_RESPONSE, Deleter<&OCSP_RESPONSE_free>>;
using OcspBasicResponse = std::unique_ptr<OCSP_BASICRESP, Deleter<&OCSP_BASICRESP_free>>;
using OcspCertId = std::unique_ptr<OCSP_CERTID, Deleter<&OCSP_CERTID_free>>;

struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_pop_free(stack, X509_free); }
};
using X509Stack = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// Drains OpenSSL's error queue into one line ("context: reason; reason").
std::string error_string(std::string_view context);

// A local crypto fault (not a peer's misbehaviour): carries OpenSSL's reasons.
class Error : public std::runtime_error {
 public:
  explicit Error(std::string_view context) : std::runtime_error(error_string(context)) {}
};

// Throws ossl::Error when `ok` is false (OpenSSL's 1/0 or pointer convention).
inline void check(bool ok, std::string_view context) {
  if (!ok) throw Error(context);
}

// The DER encoding of `object` by an OpenSSL i2d function (i2d_X509, i2d_PUBKEY, ...): the
// length first, then the bytes.
template <auto Encode, class T>
std::vector<std::uint8_t> to_der(T* object, std::string_view context) {
  int length = Encode(object, nullptr);
  check(length > 0, context);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(length));
  unsigned char* cursor = out.data();
  check(Encode(object, &cursor) == length, context);
  return out;
}

}  // namespace tlslab::ossl
