#include "bridge/inspect_command.hpp"

#include <fstream>
#include <sstream>

#include "discovery/inspect.hpp"

namespace meross::bridge {

int run_inspect(const std::string& path, std::ostream& out, std::ostream& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << "inspect: cannot open " << path << "\n";
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    err << "inspect: cannot read " << path << "\n";
    return 1;
  }
  const auto result = discovery::inspect(path, text.str());
  if (!result) {
    err << "inspect: " << path << ": " << result.error().describe() << "\n";
    return 1;
  }
  for (const auto& line : result->lines)
    out << line << "\n";
  if (!result->unmapped.empty()) {
    err << "note: abilities not mapped to entities:";
    for (const auto& ns : result->unmapped)
      err << " " << ns;
    err << "\n";
  }
  return 0;
}

}  // namespace meross::bridge
