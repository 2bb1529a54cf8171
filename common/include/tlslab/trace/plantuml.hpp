#pragma once
// The run as a PlantUML sequence diagram (--plantuml FILE), in the seed's own syntax and colors:
// participants Client, Server and CA, one arrow per frame with its number, its message and its
// values (shortened), each name in the seed's color; a failed run ends with the alert, in red,
// from the side that sent it. Renders with `plantuml -tpng FILE`.
#include <cstdint>
#include <map>
#include <mutex>
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
  std::vector<std::string> lines_;
  std::map<std::uint64_t, std::size_t> first_line_;  // each connection's first arrow, in lines_
  bool written_ = false;
};

// A value for a PlantUML label: on one line, inert (nothing in it is read as a preprocessor call,
// a link, markup or an icon), at most `limit` characters.
std::string plantuml_text(const std::string& value, std::size_t limit = 40);

}  // namespace tlslab
