#pragma once
// The merged run as a PlantUML diagram, drawn by the programs' own renderer (PlantUmlRenderer):
// the merged steps are handed to it as the events of one session, in causal order.
#include <string>

#include "merge.hpp"

namespace tlslab::report {

// Throws std::runtime_error when the file cannot be written (see private_file.hpp).
void write_merged_plantuml(const MergedRun& run, const std::string& path);

}  // namespace tlslab::report
