#include "pairing/machine_output.hpp"

#include <unistd.h>

#include <istream>
#include <ostream>
#include <utility>

#include "protocol/json_writer.hpp"

namespace meross::pairing {
namespace {

using Members = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// An object of string members.
void object(protocol::JsonStringWriter& w, Members members) {
  w.StartObject();
  for (const auto& [key, value] : members) {
    w.key(key);
    w.string(value);
  }
  w.EndObject();
}

std::string_view encryption_of(const FoundDevice& d) {
  return d.static_key ? "static key" : d.ecdhe ? "ECDHE" : "plain";
}

}  // namespace

std::string account_json(const std::string& user_id, const std::string& key,
                         const std::vector<cloud::CloudDevice>& devices) {
  protocol::JsonStringWriter w(256);
  w.StartObject();
  w.key("user_id");
  w.string(user_id);
  w.key("key");
  w.string(key);
  w.key("devices");
  w.StartArray();
  for (const auto& d : devices) {
    object(w, {{"uuid", d.uuid},
               {"name", d.name},
               {"model", d.type},
               {"firmware", d.firmware},
               {"online", cloud::online_name(d.online_status)}});
  }
  w.EndArray();
  w.EndObject();
  return w.take();
}

std::string found_devices_json(const std::vector<FoundDevice>& devices, std::size_t probed) {
  protocol::JsonStringWriter w(256);
  w.StartObject();
  w.key("probed");
  w.Uint64(probed);
  w.key("devices");
  w.StartArray();
  for (const auto& d : devices) {
    object(w, {{"host", d.host},
               {"uuid", d.uuid},
               {"model", d.model},
               {"firmware", d.firmware},
               {"mac", d.mac},
               {"broker", d.broker},
               {"key", d.key == KeyCheck::Accepted ? "ours" : "other"},
               {"encryption", encryption_of(d)},
               {"note", d.note}});
  }
  w.EndArray();
  w.EndObject();
  return w.take();
}

std::string move_outcomes_json(const std::vector<MoveOutcome>& outcomes) {
  protocol::JsonStringWriter w(256);
  w.StartObject();
  w.key("devices");
  w.StartArray();
  for (const auto& o : outcomes) {
    object(w, {{"host", o.host}, {"uuid", o.uuid}, {"result", o.result}, {"message", o.message}});
  }
  w.EndArray();
  w.EndObject();
  return w.take();
}

std::optional<std::string> read_secret_line(std::istream& in, const char* what, std::ostream& err) {
  std::string line;
  if (!std::getline(in, line)) {
    err << "error: " << what << ": nothing on stdin\n";
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    err << "error: " << what << ": an empty line on stdin\n";
    return std::nullopt;
  }
  return line;
}

bool json_allowed_on_stdout(std::ostream& err) {
  if (::isatty(STDOUT_FILENO) == 0) return true;
  err << "error: --json writes the key for a program to read; redirect stdout to a pipe or file\n";
  return false;
}

}  // namespace meross::pairing
