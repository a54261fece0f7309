#include "discovery/topics.hpp"

namespace meross::discovery {

std::string sanitize_id(std::string_view id) {
  std::string out(id);
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) c = '_';
  }
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

std::string state_topic(std::string_view base, std::string_view uuid, std::string_view key) {
  return std::string(base) + "/" + sanitize_id(uuid) + "/" + sanitize_id(key) + "/state";
}

std::string command_topic(std::string_view base, std::string_view uuid, std::string_view key) {
  return std::string(base) + "/" + sanitize_id(uuid) + "/" + sanitize_id(key) + "/set";
}

std::string device_availability_topic(std::string_view base, std::string_view uuid) {
  return std::string(base) + "/" + sanitize_id(uuid) + "/availability";
}

std::string bridge_availability_topic(std::string_view base) {
  return std::string(base) + "/bridge/availability";
}

std::string bridge_state_topic(std::string_view base, std::string_view key) {
  return std::string(base) + "/bridge/" + sanitize_id(key) + "/state";
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
