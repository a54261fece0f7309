#include "support/fixtures.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace meross::test {

std::filesystem::path fixtures_dir() {
  return MEROSS_FIXTURES_DIR;
}

std::vector<std::filesystem::path> trace_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures_dir() / "traces")) {
    const auto name = entry.path().filename().string();
    if (name.size() > 1 && name[0] == 'U') files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_file(const std::filesystem::path& path) {
  if (!std::ifstream(path)) throw std::runtime_error("cannot open " + path.string());
  return read_file_or_empty(path);
}

std::string read_file_or_empty(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

protocol::Trace load_trace(const std::string& fragment) {
  std::vector<std::filesystem::path> matches;
  for (const auto& path : trace_files()) {
    if (path.filename().string().find(fragment) != std::string::npos) matches.push_back(path);
  }
  if (matches.size() != 1) {
    throw std::runtime_error("trace fragment '" + fragment + "' matches " +
                             std::to_string(matches.size()) + " files");
  }
  auto trace = protocol::parse_trace(matches[0].filename().string(), read_file(matches[0]));
  if (!trace) throw std::runtime_error(trace.error().describe());
  return std::move(trace).value();
}

}  // namespace meross::test
