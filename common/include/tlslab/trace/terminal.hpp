#pragma once
// The trace on a terminal: one block per event, the field names in a column and the values in
// the seed's colors (plain when not a terminal). Peer text passes through printable(). Written by
// a thread of its own (AsyncWriter): a slow terminal never holds up a session.
#include <cstdio>

#include "tlslab/async_writer.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab {

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
