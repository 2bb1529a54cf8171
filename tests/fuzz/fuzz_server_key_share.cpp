// Arrow 2 with an ECDHE suite, as the client checks it (PROTOCOL.md §5 and §7.6): the key_share
// extension decoded, then check_server_hello against the ClientHello that was offered, which
// verifies the signature over RAND-CLIENT ‖ RAND-SERVER ‖ the share with the certificate's key.
// Input: the ClientHello and the ServerHello of one session, two complete handshake messages back
// to back (msg_type || uint24 length || body, each). Seeds: tests/fuzz/corpus/fuzz_server_key_share/
// (make_corpus.py): real sessions, so the signatures of the seeds verify and mutations start there.
#include <openssl/err.h>

#include <algorithm>

#include "fuzz_support.hpp"
#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/handshake_rules.hpp"

namespace {

using namespace tlslab;

bool is_check_failure(AlertDescription alert) {
  switch (alert) {
    case AlertDescription::protocol_version:
    case AlertDescription::illegal_parameter:
    case AlertDescription::unsupported_extension:
    case AlertDescription::bad_certificate:
    case AlertDescription::decrypt_error: return true;
    default: return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView input(data, size);
  if (size < 4) return 0;
  std::size_t first = 4 + (std::size_t{data[1]} << 16 | std::size_t{data[2]} << 8 | data[3]);
  if (first > size) return 0;
  auto offered = decode_handshake<ClientHello>(input.first(first));
  if (!offered) return 0;
  auto groups = offered->key_share_groups();
  auto hello = fuzz::check_handshake_message<ServerHello>(input.subspan(first));
  if (!hello) return 0;

  // The extension decodes whenever it is there (ServerHello::decode checked it), and the share
  // encodes back to exactly its bytes.
  bool has_extension = std::any_of(hello->extensions.begin(), hello->extensions.end(), [](const Extension& e) {
    return e.type == static_cast<std::uint16_t>(ExtensionType::key_share);
  });
  auto share = hello->key_share();
  fuzz::require(has_extension == share.has_value(), "a key_share extension that decoded once must decode again");
  if (share) {
    ServerHello again = hello.value();
    again.set_key_share(share.value());
    fuzz::require(again == hello.value(), "a decoded key share does not re-encode to its bytes");
  }

  auto certificate = crypto::parse_certificate_der(hello->certificate);
  if (!certificate) {
    ERR_clear_error();
    return 0;
  }
  auto checked = check_server_hello(offered.value(), hello.value(), certificate->get());
  if (!checked) {
    fuzz::require(is_check_failure(checked.failure().alert), "check_server_hello failed with an unexpected alert");
    fuzz::require(!checked.failure().reason.empty(), "a check failure carries a reason");
  } else if (checked->key_exchange == KeyExchange::ecdhe) {
    fuzz::require(share.has_value() && groups.has_value(), "accepted ECDHE without both key_share extensions");
    fuzz::require(std::find(groups->begin(), groups->end(), share->group) != groups->end(),
                  "accepted a key share in a group the client did not offer");
    auto group = named_group(share->group);
    fuzz::require(group && crypto::peer_public_key(*group, share->key_exchange).ok(),
                  "accepted a key share that is no valid public key of its group");
  } else {
    fuzz::require(!share.has_value(), "accepted a key share with a suite without ECDHE");
  }
  ERR_clear_error();
  return 0;
}
