#pragma once
// The illustrated run (--report FILE): one self-contained HTML page (no network, no external
// script, font or style) with the sequence diagram of this run, each frame byte by byte with its
// fields in the seed's colors, the computations with the commands that check them, and the
// certificate and the CA's answer. The page is a template (common/src/trace/report.html) and the
// run's events as JSON, written when the run ends. Under --show-secrets the page holds secrets and
// is written as a private file.
#include <mutex>
#include <string>
#include <vector>

#include "tlslab/trace/event.hpp"

namespace tlslab {

class ReportRenderer : public Renderer {
 public:
  ReportRenderer(std::string path, bool show_secrets, std::string side);
  void on_event(const HandshakeEvent& event) override;
  void on_outcome(const OutcomeEvent& outcome) override;
  // Writes the page (once). Throws std::runtime_error when the file cannot be written.
  void finish() override;

 private:
  std::string path_;
  bool show_secrets_;
  std::string side_;
  std::mutex mutex_;
  std::vector<std::string> events_;    // each as JSON
  std::vector<std::string> outcomes_;  // each as JSON
  bool written_ = false;
};

// The page for a run whose data (a JSON object) is `data`.
std::string report_page(const std::string& data);
// One event as the report's JSON: as the JSON trace, with `fields` a list of {name, value, color,
// secret} (secret values only when shown); a flight's `messages` and the `facts` as in the JSON trace.
std::string report_event_json(const HandshakeEvent& event, bool show_secrets);

}  // namespace tlslab
