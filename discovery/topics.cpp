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

}  // namespace meross::discovery
