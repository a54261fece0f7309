#pragma once

// Access to the copied device traces in tests/fixtures/traces.

#include <filesystem>
#include <string>
#include <vector>

#include "protocol/trace.hpp"

namespace meross::test {

std::filesystem::path fixtures_dir();
std::vector<std::filesystem::path> trace_files();  // sorted
// The bytes of a file; throws when it cannot be opened.
std::string read_file(const std::filesystem::path& path);
// The same, "" when it cannot be opened (a log not written yet, a process gone from /proc).
std::string read_file_or_empty(const std::filesystem::path& path);
// The trace whose file name contains `fragment` (e.g. "mss310.csv"); throws if none or several.
protocol::Trace load_trace(const std::string& fragment);

}  // namespace meross::test
