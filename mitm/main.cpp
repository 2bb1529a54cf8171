// tlslab-mitm: a man in the middle for teaching. Relays client↔server or client↔CA frames and
// applies one attack from a documented catalogue, to show which check of the handshake stops it.
// Loopback use only: it is a lab tool, never pointed at anyone else's traffic.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdio>
#include <fstream>

#include "attacks.hpp"
#include "http_relay.hpp"
#include "relay.hpp"
#include "tlslab/crypto/crl.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/logging.hpp"
#include "tlslab/net/endpoint.hpp"
#include "tlslab/net/service.hpp"

namespace {

using namespace tlslab;

void print_catalogue(bool markdown) {
  if (markdown) {
    std::printf(
        "| attack | link | what the attacker does | detected by | alert | client exit | why |\n"
        "|---|---|---|---|---|---|---|\n");
  }
  for (const auto& attack : mitm::catalogue()) {
    std::string link = attack.link == mitm::Link::server ? "client↔server"
                       : attack.link == mitm::Link::ca   ? "client↔CA"
                                                         : "client↔CA (HTTP)";
    if (markdown) {
      std::printf("| `%s` | %s | %s%s | %s | `%s` | %d | %s |\n", std::string(attack.name).c_str(), link.c_str(),
                  std::string(attack.what).c_str(),
                  attack.needs.empty() ? "" : (" (needs `" + std::string(attack.needs) + "`)").c_str(),
                  std::string(attack.detected_by).c_str(), std::string(attack.alert).c_str(), attack.client_exit,
                  std::string(attack.why).c_str());
    } else {
      std::printf("%-26s %-14s detected by the %s: %s (client exit %d)\n    %s\n", std::string(attack.name).c_str(),
                  link.c_str(), std::string(attack.detected_by).c_str(), std::string(attack.alert).c_str(),
                  attack.client_exit, std::string(attack.what).c_str());
    }
  }
}

// The DER OCSP response of --substitute-staple: at most what fits a ServerHello frame.
tlslab::Bytes read_staple_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read --substitute-staple '" + path + "'");
  tlslab::Bytes staple(tlslab::max_plaintext + 1);
  in.read(reinterpret_cast<char*>(staple.data()), static_cast<std::streamsize>(staple.size()));
  staple.resize(static_cast<std::size_t>(in.gcount()));
  if (staple.empty() || staple.size() > tlslab::max_plaintext) {
    throw std::runtime_error("--substitute-staple '" + path + "' is empty or larger than one frame");
  }
  return staple;
}

// The older list of --substitute-crl, PEM (as tlslab-ca crl writes it) or DER (as GET /crl
// answers): one CertificateList of at most max_crl_size bytes, sent as DER.
tlslab::Bytes read_crl_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read --substitute-crl '" + path + "'");
  std::string text(tlslab::crypto::max_crl_size + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.empty() || text.size() > tlslab::crypto::max_crl_size) {
    throw std::runtime_error("--substitute-crl '" + path + "' is empty or larger than a client accepts (8 MiB)");
  }
  tlslab::crypto::CrlPtr crl;
  if (text.starts_with("-----BEGIN")) {
    tlslab::ossl::Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const auto* cursor = reinterpret_cast<const unsigned char*>(text.data());
    crl.reset(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(text.size())));
  }
  ERR_clear_error();
  if (!crl) throw std::runtime_error("--substitute-crl '" + path + "' is not a CRL (PEM or DER)");
  int length = i2d_X509_CRL(crl.get(), nullptr);
  tlslab::Bytes der(static_cast<std::size_t>(length));
  unsigned char* write = der.data();
  i2d_X509_CRL(crl.get(), &write);
  return der;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tlslab-mitm: a man in the middle that shows what the handshake protects against (loopback lab tool)"};
  app.set_version_flag("--version", "tlslab-mitm 1.0.0 (protocol tlslab/1.0)");
  std::string listen = "127.0.0.1:0", upstream, attack_name, substitute_cert, direction = "c2s";
  bool list = false, markdown = false;
  mitm::AttackOptions options;
  app.add_flag("--list-attacks", list, "print the catalogue and exit");
  app.add_flag("--markdown", markdown, "with --list-attacks: as a Markdown table (docs/ATTACKS.md)");
  app.add_option("--listen", listen, "ADDR:PORT for clients to connect to")->capture_default_str();
  app.add_option("--upstream", upstream,
                 "the real server (or CA service, or for the CRL attacks the CA's --ocsp-http) HOST:PORT");
  app.add_option("--attack", attack_name, "one attack from --list-attacks");
  app.add_option("--substitute-cert", substitute_cert, "another server's certificate (PEM), for the swap attacks");
  app.add_option("--other-upstream", options.other_upstream,
                 "another CA service HOST:PORT, for status-other-ca (its --ocsp-http, for foreign-crl)");
  std::string substitute_staple;
  app.add_option("--substitute-staple", substitute_staple,
                 "the CA's DER OCSP response about another certificate (openssl ocsp -respout), for foreign-staple");
  std::string substitute_crl;
  app.add_option("--substitute-crl", substitute_crl,
                 "an older CRL of the same CA (PEM or DER, e.g. tlslab-ca crl --out old.crl before a revocation), "
                 "for replay-old-crl");
  app.add_option("--direction", direction, "flip-byte: c2s or s2c")->check(CLI::IsMember({"c2s", "s2c"}));
  app.add_option("--frame", options.flip_frame, "flip-byte: index of the frame in that direction (0 = first)");
  app.add_option("--offset", options.flip_offset, "flip-byte: offset in the frame's fragment");
  int idle_timeout_ms = 60000;
  app.add_option("--idle-timeout-ms", idle_timeout_ms,
                 "close a relayed connection when neither side completes a frame for this long (a stalled peer); a "
                 "relayed CRL fetch gets this long in all")
      ->capture_default_str()
      ->check(CLI::Range(100, 3'600'000));
  CLI11_PARSE(app, argc, argv);
  tlslab::ProgramLog program_log("tlslab-mitm", spdlog::level::info);
  if (list) {
    print_catalogue(markdown);
    return 0;
  }
  try {
    if (upstream.empty() || attack_name.empty()) throw std::runtime_error("--upstream and --attack are required");
    auto attack = mitm::find_attack(attack_name);
    if (!attack) throw std::runtime_error("unknown attack '" + attack_name + "' (see --list-attacks)");
    if (attack->needs == "--substitute-cert") {
      if (substitute_cert.empty()) throw std::runtime_error(std::string(attack->name) + " needs --substitute-cert");
      auto certificate = crypto::load_certificate_pem(substitute_cert);
      options.substitute_certificate = crypto::certificate_der(certificate.get());
      options.substitute_public_key = crypto::public_key_der(X509_get0_pubkey(certificate.get()));
    }
    if (attack->needs == "--substitute-staple") {
      if (substitute_staple.empty()) throw std::runtime_error(std::string(attack->name) + " needs --substitute-staple");
      options.substitute_staple = read_staple_file(substitute_staple);
    }
    if (attack->needs == "--substitute-crl") {
      if (substitute_crl.empty()) throw std::runtime_error(std::string(attack->name) + " needs --substitute-crl");
      options.substitute_crl = read_crl_file(substitute_crl);
    }
    if (attack->needs == "--other-upstream" && options.other_upstream.empty()) {
      throw std::runtime_error(std::string(attack->name) + " needs --other-upstream");
    }
    options.flip_direction = direction == "c2s" ? mitm::Direction::to_upstream : mitm::Direction::to_downstream;
    auto endpoint = net::parse_endpoint(listen);
    auto target = net::parse_endpoint(attack->needs == "--other-upstream" ? options.other_upstream : upstream);
    auto log = program_log.logger();
    auto info = *attack;
    net::ServiceRun run{1, 4096, log, [&](std::span<const tcp::endpoint> bound) {
                          std::printf("tlslab-mitm: listening on %s, relaying to %s with attack '%s'\n",
                                      net::endpoint_text(bound[0]).c_str(), upstream.c_str(), attack_name.c_str());
                          if (info.link == mitm::Link::crl) {
                            std::printf("tlslab-mitm: give the client --ca-check crl --crl-from http://%s/crl\n",
                                        net::endpoint_text(bound[0]).c_str());
                          }
                          std::printf("tlslab-mitm: expected: detected by the %s with %s (client exit %d)\n",
                                      std::string(info.detected_by).c_str(), std::string(info.alert).c_str(),
                                      info.client_exit);
                          std::fflush(stdout);
                        }};
    return net::serve({{endpoint,
                        [&](tcp::socket socket, std::uint64_t id) {
                          if (info.link == mitm::Link::crl) {
                            return mitm::relay_http_connection(std::move(socket), id, target, info, options, log,
                                                               std::chrono::milliseconds(idle_timeout_ms));
                          }
                          return mitm::relay_connection(std::move(socket), id, target, info, options, log,
                                                        std::chrono::milliseconds(idle_timeout_ms));
                        }}},
                      run);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlslab-mitm: %s\n", e.what());
    return 1;
  }
}
