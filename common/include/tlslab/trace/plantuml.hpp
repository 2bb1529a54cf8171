#pragma once
// The run as a PlantUML sequence diagram (--plantuml FILE), in the seed's own syntax and colors:
// participants Client, Server and CA, one arrow per frame with its number, its message, the seed's
// sentence for it and its values (shortened), each name in the seed's color (CERTIFICATE in
// DarkCyan, readable on white); local steps on their party, a failed check in red; the SESSION
// MASTER KEY on both sides; a failed run ends with the alert, in red, from the side that sent it.
// Renders with `plantuml -tpng FILE`.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/private_file.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab {

class PlantUmlRenderer : public Renderer {
 public:
  PlantUmlRenderer(std::string path, bool show_secrets);
  void on_event(const HandshakeEvent& event) override;
  void on_outcome(const OutcomeEvent& outcome) override;
  void finish() override;  // writes the file (once)

 private:
  FileKind kind() const { return show_secrets_ ? FileKind::secret : FileKind::document; }

  std::string path_;
  bool show_secrets_;
  std::mutex mutex_;
  // What the diagram keeps of each connection, by its id.
  struct Session {
    std::optional<std::size_t> first_line;               // its first arrow, in lines_
    std::optional<std::size_t> test_message_line;        // the client's Finished (test message)
    std::vector<TraceField> master_key_fields;           // the client's SESSION MASTER KEY and write keys
    std::optional<std::size_t> client_certificate_line;  // after the arrow that sent the client's CERTIFICATE
    bool server_asked_ca = false;                        // the server's own arrows 3–4 are drawn
  };
  // Inserts `line` at `at`; every connection's index of a line at or after `at` moves with its line.
  void insert_line(std::size_t at, std::string line);

  std::vector<std::string> lines_;
  std::map<std::uint64_t, Session> sessions_;
  bool written_ = false;
};

// A value for a PlantUML label: on one line, inert (nothing in it is read as a preprocessor call,
// a link, markup or an icon), at most `limit` characters.
std::string plantuml_text(const std::string& value, std::size_t limit = 40);

}  // namespace tlslab
