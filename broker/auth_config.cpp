#include "broker/auth_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

namespace meross::broker {
namespace {

// Far more than any real list; a bigger file is a mistake (or not ours).
constexpr off_t kMaxFileBytes = 1 << 20;

protocol::Error error(std::string message) {
  return protocol::Error{"", std::move(message)};
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
bool is_graph(char c) {
  return c > ' ' && c < 0x7f;
}
bool all_graph(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_graph);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

std::string errno_text(int code) {
  return std::strerror(code);
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The whole text of a secret file, refused when group or others may access it. The checks run on
// the opened descriptor, so they are about the file that is then read.
protocol::Result<std::string> read_private_file(const std::string& what, const std::string& path) {
  const std::string name = what + " " + path;
  // O_NONBLOCK: a FIFO put in the file's place must not hang the broker's start.
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return error(name + ": cannot open it (" + errno_text(errno) + ")");
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return error(name + ": cannot read it (" + errno_text(errno) + ")");
  }
  if (!S_ISREG(info.st_mode)) return error(name + ": not a regular file");
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return error(name + ": must be 0600 (it is " + mode +
                 ", open to group or others; run chmod 600 on it)");
  }
  if (info.st_size > kMaxFileBytes) return error(name + ": larger than 1 MiB");
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error(name + ": cannot read it (" + errno_text(errno) + ")");
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > static_cast<std::size_t>(kMaxFileBytes)) {
      return error(name + ": larger than 1 MiB");
    }
  }
  return text;
}

// Calls `line(number, text)` for each line that is neither blank nor a `#` comment, trimmed;
// stops at the first error it returns.
template <class Handler>
std::optional<protocol::Error> for_each_line(std::string_view text, Handler&& line) {
  std::size_t number = 0;
  for (const std::string_view raw : split(text, '\n')) {
    ++number;
    const std::string_view content = trim(raw);
    if (content.empty() || content.front() == '#') continue;
    if (auto problem = line(number, content)) return problem;
  }
  return std::nullopt;
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "bridge") return Role::bridge;
  if (text == "homeassistant") return Role::homeassistant;
  return std::nullopt;
}

// The fields of a line separated by runs of spaces or tabs.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
    if (line.empty()) return out;
    const auto end = line.find_first_of(" \t");
    out.push_back(line.substr(0, end));
    if (end == std::string_view::npos) return out;
    line.remove_prefix(end);
  }
}

}  // namespace

protocol::Result<std::vector<std::string>> read_key_file(const std::string& path) {
  const std::string name = "key file " + path;
  auto text = read_private_file("key file", path);
  if (!text) return text.error();
  std::vector<std::string> keys;
  const auto problem = for_each_line(
      *text, [&](std::size_t number, std::string_view key) -> std::optional<protocol::Error> {
        if (!all_graph(key)) {
          return error(name + " line " + std::to_string(number) +
                       ": a key is printable ASCII without spaces");
        }
        keys.emplace_back(key);
        return std::nullopt;
      });
  if (problem) return *problem;
  if (keys.empty()) return error(name + ": holds no key (one Meross key a line)");
  return keys;
}

protocol::Result<std::vector<InternalClient>> read_clients_file(const std::string& path) {
  const std::string name = "clients file " + path;
  auto text = read_private_file("clients file", path);
  if (!text) return text.error();
  std::vector<InternalClient> clients;
  std::map<std::string, std::size_t, std::less<>> lines_of;
  const auto problem = for_each_line(
      *text, [&](std::size_t number, std::string_view line) -> std::optional<protocol::Error> {
        // Field values are not quoted: a mistake may have put a hash in any column.
        const std::string where = name + " line " + std::to_string(number) + ": ";
        const auto parts = fields(line);
        if (parts.size() != 3 || !std::all_of(parts.begin(), parts.end(), all_graph)) {
          return error(where +
                       "expected USERNAME ROLE HASH (printable ASCII separated by spaces or tabs)");
        }
        if (normalize_mac(parts[0])) {
          return error(where + "the username looks like a MAC, which is how devices log in");
        }
        const auto role = parse_role(parts[1]);
        if (!role) return error(where + "unknown role (expected bridge or homeassistant)");
        auto hash = parse_password_hash(parts[2]);
        if (!hash) return error(where + "HASH is " + hash.error().message);
        const auto [first, inserted] = lines_of.emplace(std::string(parts[0]), number);
        if (!inserted) {
          return error(where + "user " + std::string(parts[0]) + " is already on line " +
                       std::to_string(first->second));
        }
        clients.push_back(InternalClient{std::string(parts[0]), *role, std::move(*hash)});
        return std::nullopt;
      });
  if (problem) return *problem;
  return clients;
}

protocol::Result<std::vector<std::uint64_t>> parse_user_ids(std::string_view text) {
  std::vector<std::uint64_t> ids;
  for (const std::string_view item : split(text, ',')) {
    const auto id = parse_user_id(trim(item));
    if (!id) {
      return error("plugin_opt_user_ids: \"" + std::string(trim(item)) +
                   "\" is not a decimal userId (expected a list like 0,12345)");
    }
    ids.push_back(*id);
  }
  return ids;
}

protocol::Result<std::vector<std::string>> parse_topic_roots(std::string_view text) {
  std::vector<std::string> roots;
  for (const std::string_view item : split(text, ',')) {
    const std::string_view root = trim(item);
    if (!all_graph(root) || root.find_first_of("/+#") != std::string_view::npos ||
        root.front() == '$') {
      return error("plugin_opt_topic_roots: \"" + std::string(root) +
                   "\" is not a topic root (one topic level, no wildcard, not $...; expected a "
                   "list like homeassistant,meross)");
    }
    roots.emplace_back(root);
  }
  return roots;
}

protocol::Result<Settings> load_settings(const PluginOptions& options) {
  std::optional<std::string> key_file;
  std::optional<std::string> clients_file;
  std::optional<std::string> user_ids;
  std::optional<std::string> topic_roots;
  const std::pair<const char*, std::optional<std::string>*> known[] = {
      {"key_file", &key_file},
      {"clients_file", &clients_file},
      {"user_ids", &user_ids},
      {"topic_roots", &topic_roots}};
  for (const auto& [name, value] : options) {
    const auto slot = std::find_if(std::begin(known), std::end(known),
                                   [&](const auto& option) { return name == option.first; });
    if (slot == std::end(known)) {
      return error("unknown option plugin_opt_" + name +
                   " (known: key_file, clients_file, user_ids, topic_roots)");
    }
    if (*slot->second) return error("plugin_opt_" + name + " is given twice");
    *slot->second = value;
  }
  if (!key_file) {
    return error("plugin_opt_key_file is required (the file of Meross keys, one a line)");
  }

  // Each option given, parsed into its setting in this order; the first that fails is the answer.
  Settings settings;
  std::optional<protocol::Error> failed;
  const auto parse_into = [&](const std::optional<std::string>& text, auto parse, auto& setting) {
    if (!text || failed) return;
    auto parsed = parse(*text);
    if (!parsed) {
      failed = parsed.error();
    } else {
      setting = std::move(*parsed);
    }
  };
  parse_into(key_file, read_key_file, settings.keys);
  parse_into(clients_file, read_clients_file, settings.clients);
  parse_into(user_ids, parse_user_ids, settings.user_ids);
  parse_into(topic_roots, parse_topic_roots, settings.topic_roots);
  if (failed) return *failed;
  return settings;
}

}  // namespace meross::broker
