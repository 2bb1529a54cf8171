#pragma once
// The trace on a terminal: one block per event, the field names in a column and the values in
// the seed's colors (plain when not a terminal). Peer text passes through printable(). Written by
// a thread of its own (AsyncWriter): a slow terminal never holds up a session.
#include <cstdio>
#include <vector>

#include "tlslab/async_writer.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab {

// An event's typed facts as trace fields in the seed's colors (RAND-CLIENT, RAND-SERVER,
// cipher suite, group, CERTIFICATE, the CA's answer, checks, secrets): what a renderer shows for an
// event that has facts and no fields. A secret's value is formatted only when `show_secrets`.
std::vector<TraceField> fields_of_facts(const EventFacts& facts, bool show_secrets);

class TerminalRenderer : public Renderer {
 public:
  TerminalRenderer(std::FILE* out, bool color, bool show_secrets);
  void on_event(const HandshakeEvent& event) override;
  void on_outcome(const OutcomeEvent& outcome) override;
  void finish() override { out_.flush(); }
  void flush() { out_.flush(); }

 private:
  [[nodiscard]] std::string paint(TraceColor color, const std::string& text) const;

  AsyncWriter out_;
  bool color_;
  bool show_secrets_;
};

}  // namespace tlslab
