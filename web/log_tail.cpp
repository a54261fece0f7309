#include "web/log_tail.hpp"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include "bridge/logging.hpp"

namespace meross::web {

void LogTail::sink_it_(const spdlog::details::log_msg& msg) {
  Line line;
  line.time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
  line.level = msg.level;
  line.text =
      bridge::printable(std::string_view(msg.payload.data(), msg.payload.size()), kLogLineBytes);
  if (lines_.size() >= kLogLines) lines_.pop_front();
  lines_.push_back(std::move(line));
}

std::string LogTail::json(spdlog::level::level_enum min_level) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  std::lock_guard lock(mutex_);
  w.StartArray();
  for (const auto& line : lines_) {
    if (line.level < min_level) continue;
    const auto level = spdlog::level::to_string_view(line.level);
    w.StartObject();
    w.Key("time");
    w.Int64(line.time_ms);
    w.Key("level");
    w.String(level.data(), static_cast<rapidjson::SizeType>(level.size()));
    w.Key("text");
    w.String(line.text.data(), static_cast<rapidjson::SizeType>(line.text.size()));
    w.EndObject();
  }
  w.EndArray();
  return std::string(out.GetString(), out.GetSize());
}

std::shared_ptr<LogTail> LogTail::attach() {
  auto tail = std::make_shared<LogTail>();
  spdlog::default_logger()->sinks().push_back(tail);
  return tail;
}

void LogTail::remove() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove_if(sinks.begin(), sinks.end(),
                             [this](const auto& each) { return each.get() == this; }),
              sinks.end());
}

}  // namespace meross::web
