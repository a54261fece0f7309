#pragma once

// One run of a `meross-pair` subcommand for the page's "Add devices" (web/onboarding.hpp), on the
// calling (worker) thread: never on the daemon's loop or the server's thread, which it would
// block for as long as a scan takes.
//
// Secrets go in on the child's stdin (written, then closed), never on its command line or in its
// environment: /proc/<pid>/cmdline and `ps` show the arguments to every user of the machine. The
// child gets only PATH, HOME, locale, TZ, CA bundle and proxy variables of the daemon's
// environment. The
// child's stdout (the --json document, which may hold the account key) is returned, not logged;
// its stderr lines (the CLI's text, which never holds a secret) are handed to `line` as they come.
// `stop` is checked while the child runs: set, the child is killed (SIGKILL: it holds nothing a
// clean exit would save) and reaped, as after `limit`.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace meross::web {

struct ChildOutcome {
  int exit_code = -1;   // -1: could not start, killed, or killed by a signal
  std::string out;      // stdout, at most kChildOutputLimit bytes
  std::string problem;  // why it could not start or was killed ("" when it exited)
};

inline constexpr std::size_t kChildOutputLimit = 1 << 20;

ChildOutcome run_child(const std::vector<std::string>& argv, const std::string& stdin_text,
                       const std::function<void(std::string_view line)>& line,
                       const std::atomic<bool>& stop, std::chrono::seconds limit);

}  // namespace meross::web
