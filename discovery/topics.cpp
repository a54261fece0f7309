#include "discovery/topics.hpp"

#include <algorithm>
#include <array>

namespace meross::discovery {

namespace {

// Each byte as HA accepts it in an id: itself for [a-zA-Z0-9_-], '_' for every other.
constexpr std::array<char, 256> kIdChars = [] {
  std::array<char, 256> table{};
  for (std::size_t i = 0; i < table.size(); ++i) {
    const char c = static_cast<char>(i);
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    table[i] = ok ? c : '_';
  }
  return table;
}();

// Writes `id` sanitized at `to` (a table lookup per byte); returns the end.
char* copy_sanitized(std::string_view id, char* to) {
  for (const char c : id)
    *to++ = kIdChars[static_cast<unsigned char>(c)];
  return to;
}

// Appends `id` sanitized.
void append_sanitized(std::string& out, std::string_view id) {
  const std::size_t at = out.size();
  out.resize(at + id.size());
  copy_sanitized(id, out.data() + at);
}

}  // namespace

std::string sanitize_id(std::string_view id) {
  std::string out;
  out.reserve(id.size());
  append_sanitized(out, id);
  return out;
}

std::string device_config_topic(std::string_view prefix, std::string_view node_id) {
  return std::string(prefix) + "/device/" + sanitize_id(node_id) + "/config";
}

std::string component_config_topic(std::string_view prefix, std::string_view component,
                                   std::string_view node_id, std::string_view object_id) {
  return std::string(prefix) + "/" + std::string(component) + "/" + sanitize_id(node_id) + "/" +
         sanitize_id(object_id) + "/config";
}

namespace {

// <base>/<uuid>/<key><suffix> in one allocation: built for every state of every device message.
std::string entity_topic(std::string_view base, std::string_view uuid, std::string_view key,
                         std::string_view suffix) {
  std::string out(base.size() + uuid.size() + key.size() + 2 + suffix.size(), '/');
  char* to = std::copy(base.begin(), base.end(), out.data()) + 1;
  to = copy_sanitized(uuid, to) + 1;
  to = copy_sanitized(key, to);
  std::copy(suffix.begin(), suffix.end(), to);
  return out;
}

}  // namespace

std::string state_topic(std::string_view base, std::string_view uuid, std::string_view key) {
  return entity_topic(base, uuid, key, "/state");
}

std::string command_topic(std::string_view base, std::string_view uuid, std::string_view key) {
  return entity_topic(base, uuid, key, "/set");
}

std::string device_availability_topic(std::string_view base, std::string_view uuid) {
  return std::string(base) + "/" + sanitize_id(uuid) + "/availability";
}

std::string bridge_topic_root(std::string_view base, std::string_view instance) {
  std::string root = std::string(base) + "/bridge";
  if (!instance.empty()) root += "/" + sanitize_id(instance);
  return root;
}

std::string bridge_availability_topic(std::string_view base, std::string_view instance) {
  return bridge_topic_root(base, instance) + "/availability";
}

std::string bridge_state_topic(std::string_view base, std::string_view key,
                               std::string_view instance) {
  return bridge_topic_root(base, instance) + "/" + sanitize_id(key) + "/state";
}

std::string bridge_attributes_topic(std::string_view base, std::string_view key,
                                    std::string_view instance) {
  return bridge_topic_root(base, instance) + "/" + sanitize_id(key) + "/attributes";
}

CommandTarget parse_command_topic(std::string_view base, std::string_view topic) {
  const std::string prefix = std::string(base) + "/";
  constexpr std::string_view suffix = "/set";
  if (topic.size() <= prefix.size() + suffix.size() || topic.substr(0, prefix.size()) != prefix ||
      topic.substr(topic.size() - suffix.size()) != suffix) {
    return {};
  }
  const std::string_view middle =
      topic.substr(prefix.size(), topic.size() - prefix.size() - suffix.size());
  const auto slash = middle.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= middle.size() ||
      middle.find('/', slash + 1) != std::string_view::npos) {
    return {};
  }
  return {std::string(middle.substr(0, slash)), std::string(middle.substr(slash + 1))};
}

}  // namespace meross::discovery
