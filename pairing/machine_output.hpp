#pragma once

// What `account`, `scan` and `move` print with --json, for a program that runs them (the bridge's
// web page, docs/architecture.md "Adding devices from the page"): one JSON document on stdout at
// the end, the human text on stderr. Secrets come in on stdin (--key-stdin, --password-file -),
// never on the command line, where `ps` and /proc/<pid>/cmdline show them.

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "pairing/cloud_account.hpp"
#include "pairing/lan_scan.hpp"

namespace meross::pairing {

// {"user_id":"4242","key":"…","devices":[{"uuid","name","model","firmware","online"}]}. The key
// is in it: --json is for a program reading a pipe, and the CLI refuses it on a terminal.
std::string account_json(const std::string& user_id, const std::string& key,
                         const std::vector<cloud::CloudDevice>& devices);

// {"probed":N,"devices":[{"host","uuid","model","firmware","mac","broker","key":"ours"|"other",
// "encryption":"plain"|"ECDHE"|"static key","note"}]}
std::string found_devices_json(const std::vector<FoundDevice>& devices, std::size_t probed);

// One device's outcome of `move`.
struct MoveOutcome {
  std::string host;
  std::string uuid;
  std::string result;  // "moved", "unchanged", "unknown", "skipped"
  std::string message;
};
// {"devices":[{"host","uuid","result","message"}]}
std::string move_outcomes_json(const std::vector<MoveOutcome>& outcomes);

// The first line of `in` without its line end; nullopt (and a line on `err`) when there is none.
std::optional<std::string> read_secret_line(std::istream& in, const char* what, std::ostream& err);

// --json writes a key to stdout: refused when that is a terminal.
bool json_allowed_on_stdout(std::ostream& err);

}  // namespace meross::pairing
