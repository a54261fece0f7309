#pragma once

// The bridge's last log lines for the web page (api/log): a spdlog sink on the process's logger
// that keeps the newest kLogLines lines of at most kLogLineBytes each, made printable. Written by
// any thread that logs, read by the web server's: it locks. Lines are what the log has (secrets
// never go to the log), at the log's own level: a debug line is only there at [log] level debug.

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/common.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>

namespace meross::web {

inline constexpr std::size_t kLogLines = 200;
inline constexpr std::size_t kLogLineBytes = 400;

class LogTail final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // The lines at `min_level` or above, oldest first, as a JSON array of
  // {"time": epoch ms, "level": "warning", "text": "…"}.
  std::string json(spdlog::level::level_enum min_level);

  // Adds itself to the process's default logger; remove() takes it off again.
  static std::shared_ptr<LogTail> attach();
  void remove();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  struct Line {
    std::int64_t time_ms = 0;
    spdlog::level::level_enum level = spdlog::level::info;
    std::string text;
  };
  std::deque<Line> lines_;  // under base_sink's mutex_
};

}  // namespace meross::web
