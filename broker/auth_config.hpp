#pragma once

// The auth plugin's options (mosquitto.conf `plugin_opt_NAME VALUE`) and the files they name
// (broker/README.md). Errors name the option or the file (and line) and the problem, and never
// quote a key or a hash: they end up in mosquitto's log.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/auth_rules.hpp"
#include "protocol/result.hpp"

namespace meross::broker {

// NAME (without "plugin_opt_") and VALUE, in the order mosquitto passed them.
using PluginOptions = std::vector<std::pair<std::string, std::string>>;

// Everything the plugin needs, from its options and the files they name.
protocol::Result<Settings> load_settings(const PluginOptions& options);

// One key a line; blank lines and `#` comments skipped; at least one key. The file must not be
// accessible to group or others.
protocol::Result<std::vector<std::string>> read_key_file(const std::string& path);
// `USERNAME ROLE HASH` a line; may hold no login at all. Same permission rule.
protocol::Result<std::vector<InternalClient>> read_clients_file(const std::string& path);
// "0,12345": decimal userIds separated by commas.
protocol::Result<std::vector<std::uint64_t>> parse_user_ids(std::string_view text);
// "homeassistant,meross": single topic levels without wildcards, separated by commas.
protocol::Result<std::vector<std::string>> parse_topic_roots(std::string_view text);

}  // namespace meross::broker
