// Arrow 1, as the server reads it: ClientHello (PROTOCOL.md §4), then the decisions the server
// takes on it (§4.1 version, §5 suite by the server's preference, the server_name and key_share extensions).
// Input: one complete handshake message (msg_type || uint24 length || body), the fragment of a
// `handshake` frame. Seeds: tests/fuzz/corpus/fuzz_client_hello/ (make_corpus.py).
#include <algorithm>

#include "fuzz_support.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlslab;
  auto hello = fuzz::check_handshake_message<ClientHello>(ByteView(data, size));
  if (!hello) return 0;
  fuzz::require(!hello->cipher_suites.empty(), "a decoded ClientHello offers at least one suite");
  if (auto name = hello->server_name())
    fuzz::require(!name->empty() && name->size() <= 255 && is_host_name(*name),
                  "server_name is a host name of 1..255 bytes");
  if (auto groups = hello->key_share_groups()) {  // §7.6: 1..32767 groups, re-encoding to the same bytes
    fuzz::require(!groups->empty(), "a key_share extension offers at least one group");
    ClientHello again = hello.value();
    again.set_key_share_groups(groups.value());
    fuzz::require(again == hello.value(), "the offered groups do not re-encode to their bytes");
  }
  auto version = negotiate_version(hello->client_version);
  if (version) fuzz::require(version.value() == ProtocolVersion::tlslab_1_0, "the only version spoken is 1.0");
  auto accepted = default_suites();
  if (auto chosen = choose_suite(hello->cipher_suites, accepted)) {
    auto value = static_cast<std::uint16_t>(chosen->suite);
    fuzz::require(
        std::find(hello->cipher_suites.begin(), hello->cipher_suites.end(), value) != hello->cipher_suites.end(),
        "the server chose a suite the client did not offer");
  }
  return 0;
}
