#pragma once
// The three programs in one process: the CA service and the server each run on a thread of their
// own, on 127.0.0.1 with ephemeral ports, with the code tlslab-ca and tlslab-server run
// (ca::serve_status_connection, server::serve_connection); the client runs client::run_session,
// as tlslab-client does, in the calling thread. What the e2e tests find in seconds with real
// processes, these find in milliseconds, and each new variant is tested here first.
#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "client_config.hpp"
#include "client_session.hpp"
#include "database.hpp"
#include "relay.hpp"
#include "responder.hpp"
#include "server_session.hpp"
#include "stapler.hpp"
#include "status_service.hpp"
#include "tlslab/net/listener.hpp"

namespace tlslab::integration {

// Every event a trace emitted, kept for the test to look at.
class EventLog : public Renderer {
 public:
  void on_event(const HandshakeEvent& event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  void on_outcome(const OutcomeEvent& outcome) override {
    std::lock_guard lock(mutex_);
    outcomes_.push_back(outcome);
  }
  std::vector<HandshakeEvent> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<OutcomeEvent> outcomes() const {
    std::lock_guard lock(mutex_);
    return outcomes_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<HandshakeEvent> events_;
  std::vector<OutcomeEvent> outcomes_;
};

struct LabOptions {
  std::vector<CipherSuite> server_suites = default_suites();
  std::optional<std::filesystem::path> www;
  net::Timeouts server_timeouts;
  bool start_ca = true;
  bool show_secrets = false;    // for the traces of both sides
  bool ec_certificate = false;  // the server's certificate and key: EC P-256 instead of RSA-2048
  std::vector<NamedGroup> server_groups = default_groups();
  std::chrono::seconds ca_validity{3600};  // thisUpdate to nextUpdate of the CA's answers
  // Stapling (§9.1): the server asks the CA at start, then at half of the answer's validity and at
  // the latest after `staple_refresh`.
  bool staple = false;
  std::chrono::milliseconds staple_refresh{std::chrono::minutes(5)};
  // Mutual authentication (§7.7): the server's policy; the test CA issues client certificates.
  ClientAuth client_auth = ClientAuth::none;
  // Session tickets (§7.8): the server issues and opens them (tlslab-server's default); off here so
  // that the other tests' servers are as before.
  bool tickets = false;
};

// A client run and what it left: the outcome, the response bodies, the JSON trace.
struct ClientRun {
  client::Outcome outcome;
  std::string body;
  std::string trace_json;
  std::vector<HandshakeEvent> events;  // the client's
  std::vector<OutcomeEvent> outcomes;
};

class Lab {
 public:
  explicit Lab(LabOptions options = {});
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  [[nodiscard]] std::uint16_t server_port() const noexcept { return server_port_; }
  [[nodiscard]] std::uint16_t ca_port() const noexcept { return ca_port_; }
  [[nodiscard]] ca::Database& database() noexcept { return database_; }
  [[nodiscard]] const std::string& server_serial() const noexcept;
  // What the server's and the CA's traces emitted (both share one Trace here).
  [[nodiscard]] const EventLog& service_events() const noexcept { return *service_events_; }
  // The server's stapler (LabOptions::staple), or nullptr.
  [[nodiscard]] const server::Stapler* stapler() const noexcept { return stapler_.get(); }

  // Settings for a client of this lab: trusts the test CA, expects "localhost", GET /.
  [[nodiscard]] client::ClientSettings client_settings() const;
  [[nodiscard]] const crypto::TrustStore& trust() const noexcept { return trust_; }
  ClientRun run_client(const client::ClientSettings& settings);

  // A tlslab-mitm relay with `attack` in front of the server (or the CA); returns its port.
  std::uint16_t start_relay(std::string_view attack, mitm::AttackOptions options = {}, bool to_ca = false);

 private:
  struct Service;
  void start(Service& service, net::ConnectionHandler handler);

  LabOptions options_;
  crypto::TrustStore trust_;
  ca::Database database_{":memory:", ca::Database::Mode::create};
  std::optional<ca::Responder> responder_;
  std::optional<server::ServerIdentity> identity_;
  server::ServerSettings settings_;
  std::unique_ptr<Trace> server_trace_;
  EventLog* service_events_ = nullptr;  // owned by server_trace_
  std::shared_ptr<spdlog::logger> log_;
  // Aggregates built with braces (clang 14 has no parenthesized aggregate initialization for emplace).
  std::unique_ptr<server::ServerContext> context_;
  std::unique_ptr<ca::StatusContext> status_context_;
  std::shared_ptr<server::Stapler> stapler_;
  std::vector<std::unique_ptr<Service>> services_;
  std::uint16_t server_port_ = 0;
  std::uint16_t ca_port_ = 0;
  std::vector<std::unique_ptr<mitm::AttackOptions>> relay_options_;
};

// Runs `work` on a fresh io_context in this thread, to completion, and returns its result
// (rethrowing what it threw).
template <class T>
T run_in_this_thread(awaitable<T> work) {
  asio::io_context io;
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr error, T value) {
    failure = error;
    if (!error) result.emplace(std::move(value));
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

}  // namespace tlslab::integration
