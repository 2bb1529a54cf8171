#include "tlslab/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "tlslab/text.hpp"

namespace tlslab {
namespace {

// %* in a pattern: the message, with what a terminal would obey escaped.
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&, spdlog::memory_buf_t& out) override {
    std::string text = printable(std::string_view(message.payload.data(), message.payload.size()));
    out.append(text.data(), text.data() + text.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

void use_escaping_pattern(spdlog::logger& logger) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<EscapedMessage>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e [%n] %^%l%$ %*");
  logger.set_formatter(std::move(formatter));
}

}  // namespace

std::shared_ptr<spdlog::logger> make_escaping_logger(std::string name, spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>(std::move(name), std::move(sink));
  use_escaping_pattern(*logger);
  return logger;
}

ProgramLog::ProgramLog(std::string_view program, spdlog::level::level_enum level, LogStream stream) {
  // 8,192 queued lines, one writer thread; a full queue overwrites its oldest line rather than
  // making the session that logs wait for the terminal.
  spdlog::init_thread_pool(8192, 1);
  spdlog::sink_ptr sink;
  if (stream == LogStream::out) {
    sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
  logger_ = std::make_shared<spdlog::async_logger>(std::string(program), std::move(sink), spdlog::thread_pool(),
                                                   spdlog::async_overflow_policy::overrun_oldest);
  use_escaping_pattern(*logger_);
  logger_->set_level(level);
  spdlog::set_default_logger(logger_);
}

ProgramLog::~ProgramLog() {
  logger_->flush();
  spdlog::shutdown();
}

PeerWarnings::Decision PeerWarnings::admit(const std::string& peer, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (peers_.size() >= max_peers_ && !peers_.contains(peer)) peers_.clear();
  Window& window = peers_[peer];
  if (window.logged == 0 || now - window.start >= window_) {
    Decision decision{true, window.suppressed};
    window = Window{now, 1, 0};
    return decision;
  }
  if (window.logged < burst_) {
    ++window.logged;
    return {true, 0};
  }
  ++window.suppressed;
  return {false, 0};
}

}  // namespace tlslab
