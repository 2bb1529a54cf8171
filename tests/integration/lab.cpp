#include "lab.hpp"

#include <spdlog/sinks/null_sink.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "test_pki.hpp"

namespace tlslab::integration {

using test::share;
using test::test_pki;

// One listening service: its acceptor, and the thread that runs its io_context.
struct Lab::Service {
  net::IoPool pool{1};
  std::optional<tcp::acceptor> acceptor;
  std::thread thread;
  std::shared_ptr<std::atomic<std::uint64_t>> next_id = std::make_shared<std::atomic<std::uint64_t>>(0);
};

namespace {

ca::CaMaterial test_ca_material() {
  EVP_PKEY* key = test_pki().ca.key.get();
  ossl::check(EVP_PKEY_up_ref(key) == 1, "EVP_PKEY_up_ref");
  return {ossl::PKey(key), share(test_pki().ca.certificate.get())};
}

ossl::PKey shared_key(EVP_PKEY* key) {
  ossl::check(EVP_PKEY_up_ref(key) == 1, "EVP_PKEY_up_ref");
  return ossl::PKey(key);
}

std::string read_all(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) text.append(buffer, n);
  return text;
}

}  // namespace

Lab::Lab(LabOptions options) : options_(std::move(options)), trust_(test::trust_store_with_test_ca()) {
  log_ = std::make_shared<spdlog::logger>("tlslab-lab", std::make_shared<spdlog::sinks::null_sink_mt>());
  const auto& pki = test_pki();
  X509* certificate = options_.ec_certificate ? pki.ec_server_certificate.get() : pki.server_certificate.get();
  EVP_PKEY* key = options_.ec_certificate ? pki.ec_server_key.get() : pki.server_key.get();
  database_.record_issued(certificate, "DNS:localhost");
  responder_.emplace(test_ca_material(), database_, options_.ca_validity);
  identity_.emplace(server::ServerIdentity::from(share(certificate), shared_key(key)));
  settings_.suites = options_.server_suites;
  settings_.groups = options_.server_groups;
  settings_.www = options_.www;
  settings_.timeouts = options_.server_timeouts;
  settings_.client_auth = options_.client_auth;
  if (options_.tickets) {
    settings_.tickets = std::make_shared<crypto::TicketKeyring>(crypto::default_ticket_lifetime,
                                                                static_cast<std::int64_t>(std::time(nullptr)));
  }
  if (options_.client_auth != ClientAuth::none) {
    settings_.client_trust = std::make_shared<crypto::TrustStore>(test::trust_store_with_test_ca());
  }
  TraceOptions quiet;
  quiet.text = false;
  quiet.show_secrets = options_.show_secrets;
  server_trace_ = std::make_unique<Trace>(quiet);
  auto events = std::make_unique<EventLog>();
  service_events_ = events.get();
  server_trace_->add(std::move(events));
  context_.reset(new server::ServerContext{*identity_, settings_, *server_trace_, log_, PeerWarnings{}});
  status_context_.reset(new ca::StatusContext{*responder_, ca::ServiceOptions{}, *server_trace_, log_, PeerWarnings{}});

  if (options_.start_ca) {
    auto& ca_service = *services_.emplace_back(std::make_unique<Service>());
    start(ca_service, [this](tcp::socket socket, std::uint64_t id) {
      return ca::serve_status_connection(std::move(socket), id, *status_context_);
    });
    ca_port_ = ca_service.acceptor->local_endpoint().port();
    tcp::endpoint ca_endpoint(asio::ip::make_address("127.0.0.1"), ca_port_);
    if (options_.client_auth != ClientAuth::none) settings_.ca_service = ca_endpoint;
    if (options_.staple) {
      stapler_ = std::make_shared<server::Stapler>(
          *identity_, std::make_shared<crypto::TrustStore>(test::trust_store_with_test_ca()),
          server::StaplerOptions{ca_endpoint, options_.staple_refresh, net::Timeouts{}}, *server_trace_, log_);
      stapler_->start();
      settings_.stapler = stapler_;
    }
  }
  auto& server_service = *services_.emplace_back(std::make_unique<Service>());
  start(server_service, [this](tcp::socket socket, std::uint64_t id) {
    return server::serve_connection(std::move(socket), id, *context_);
  });
  server_port_ = server_service.acceptor->local_endpoint().port();
  if (stapler_) {
    // The background refresh, beside the server's listener, as tlslab-server runs it.
    asio::co_spawn(server_service.pool.main(), stapler_->run(), [](std::exception_ptr failure) {
      if (failure) std::rethrow_exception(failure);  // fails the test loudly
    });
  }
}

void Lab::start(Service& service, net::ConnectionHandler handler) {
  service.acceptor.emplace(
      net::bind_acceptor(service.pool.main(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)));
  asio::co_spawn(service.pool.main(),
                 net::accept_loop(*service.acceptor, service.pool, std::move(handler), log_, net::ListenerOptions{},
                                  service.next_id),
                 [](std::exception_ptr failure) {
                   if (failure) std::rethrow_exception(failure);  // fails the test loudly
                 });
  service.thread = std::thread([&service] {
    auto work = asio::make_work_guard(service.pool.main());
    service.pool.main().run();
  });
}

Lab::~Lab() {
  for (auto& service : services_) {
    asio::post(service->pool.main(), [&service] {
      boost::system::error_code ignored;
      service->acceptor->close(ignored);
    });
    service->pool.main().stop();
    service->thread.join();
  }
}

const std::string& Lab::server_serial() const noexcept {
  return identity_->serial;
}

client::ClientSettings Lab::client_settings() const {
  client::ClientSettings settings;
  settings.server = tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_port_);
  settings.ca_service = tcp::endpoint(asio::ip::make_address("127.0.0.1"), ca_port_ ? ca_port_ : 9);
  settings.server_name = "localhost";
  settings.paths = {"/"};
  settings.timeouts = {std::chrono::seconds(5), std::chrono::seconds(5)};
  return settings;
}

ClientRun Lab::run_client(const client::ClientSettings& settings) {
  std::FILE* body = std::tmpfile();
  test::TempDir directory;
  ClientRun run;
  {
    TraceOptions options;
    options.text = false;
    options.json_path = directory.file("trace.json");
    options.show_secrets = options_.show_secrets;
    Trace trace(options);
    auto events = std::make_unique<EventLog>();
    EventLog& log = *events;
    trace.add(std::move(events));
    run.outcome = run_in_this_thread(client::run_session(settings, trust_, trace, body));
    run.events = log.events();
    run.outcomes = log.outcomes();
  }
  run.body = read_all(body);
  std::fclose(body);
  std::ifstream trace_json(directory.file("trace.json"));
  run.trace_json.assign(std::istreambuf_iterator<char>(trace_json), {});
  return run;
}

std::uint16_t Lab::start_relay(std::string_view attack, mitm::AttackOptions options, bool to_ca) {
  auto info = mitm::find_attack(attack);
  if (!info) throw std::invalid_argument("no attack " + std::string(attack));
  auto& kept = *relay_options_.emplace_back(std::make_unique<mitm::AttackOptions>(std::move(options)));
  tcp::endpoint upstream(asio::ip::make_address("127.0.0.1"), to_ca ? ca_port_ : server_port_);
  auto& relay = *services_.emplace_back(std::make_unique<Service>());
  start(relay, [this, upstream, info = *info, &kept](tcp::socket socket, std::uint64_t id) {
    return mitm::relay_connection(std::move(socket), id, upstream, info, kept, log_);
  });
  return relay.acceptor->local_endpoint().port();
}

}  // namespace tlslab::integration
