#include "bridge/config_edit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <toml++/toml.h>

#include "bridge/config.hpp"

namespace meross::bridge {
namespace {

// The length of the UTF-8 sequence starting with `lead`, 0 when it cannot start one.
std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::string indentation(const std::string& line) {
  return line.substr(0, line.find_first_not_of(" \t"));
}

// Whether `line` holds nothing but `key = value` (an optional comment after it is dropped).
bool holds_only(const std::string& line, std::string_view key) {
  const auto start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return false;
  std::string_view rest = std::string_view(line).substr(start);
  if (rest.starts_with("\"" + std::string(key) + "\"")) {
    rest.remove_prefix(key.size() + 2);
  } else if (rest.starts_with(key)) {
    rest.remove_prefix(key.size());
  } else {
    return false;
  }
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  return rest.starts_with("=");
}

struct Edited {
  std::string text;
  std::string error;  // "" = edited
};

Edited edit_name(const std::string& text, const std::string& path, std::string_view uuid,
                 std::string_view name) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error&) {
    return {{}, "it is not valid TOML"};
  }
  auto lines = split_lines(text);
  const std::string entry = "name = " + toml_string(name);
  const std::string wanted = lower_uuid(uuid);
  if (const toml::array* devices = root["devices"].as_array()) {
    for (const auto& item : *devices) {
      const toml::table* table = item.as_table();
      if (!table) continue;
      const auto* id = table->get_as<std::string>("uuid");
      if (!id || lower_uuid(id->get()) != wanted) continue;
      if (table->is_inline()) return {{}, "the device is an inline table: edit it by hand"};
      if (const toml::node* old = table->get("name")) {
        const auto line = old->source().begin.line;
        if (line == 0 || line > lines.size() || !holds_only(lines[line - 1], "name")) {
          return {{}, "its name is not on a line of its own: edit it by hand"};
        }
        lines[line - 1] = indentation(lines[line - 1]) + entry;
      } else {
        const auto line = id->source().begin.line;
        if (line == 0 || line > lines.size() || !holds_only(lines[line - 1], "uuid")) {
          return {{}, "its uuid is not on a line of its own: edit it by hand"};
        }
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(line),
                     indentation(lines[line - 1]) + entry);
      }
      std::string out;
      for (const auto& l : lines)
        out += l + "\n";
      return {out, ""};
    }
    if (std::any_of(devices->begin(), devices->end(), [](const toml::node& n) {
          return n.is_table() && n.as_table()->is_inline();
        })) {
      return {{}, "its devices are an inline array: edit it by hand"};
    }
  }
  std::string out = text;
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += "\n[[devices]]\nuuid = " + toml_string(uuid) + "\n" + entry + "\n";
  return {out, ""};
}

// Replaces `path` by a file holding `text`, with the same permissions (it holds secrets).
std::string replace_file(const std::string& path, const std::string& text) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::string("cannot read it: ") + std::strerror(errno);
  const std::string temporary = path + ".tmp";
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return std::string("cannot write next to it: ") + std::strerror(errno);
  bool ok = ::fchmod(fd, st.st_mode & 07777) == 0;
  std::size_t written = 0;
  while (ok && written < text.size()) {
    const auto n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int error = errno;
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(temporary.c_str(), path.c_str()) == 0) return {};
  const std::string why = std::strerror(ok ? errno : error);
  ::unlink(temporary.c_str());
  return "cannot write it: " + why;
}

}  // namespace

bool valid_device_name(std::string_view name, std::string* why) {
  const auto fail = [why](const char* text) {
    if (why) *why = text;
    return false;
  };
  if (name.empty()) return fail("the name is empty");
  if (name.size() > kMaxDeviceNameBytes) return fail("the name is longer than 64 bytes");
  if (name.find_first_not_of(' ') == std::string_view::npos) return fail("the name is only spaces");
  for (std::size_t i = 0; i < name.size();) {
    const auto lead = static_cast<unsigned char>(name[i]);
    const std::size_t length = utf8_length(lead);
    if (length == 0 || i + length > name.size()) return fail("the name is not valid UTF-8");
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(name[i + k]) & 0xC0) != 0x80) {
        return fail("the name is not valid UTF-8");
      }
    }
    const auto second = length > 1 ? static_cast<unsigned char>(name[i + 1]) : 0;
    if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second >= 0xA0) ||
        (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second >= 0x90)) {
      return fail("the name is not valid UTF-8");  // overlong, surrogate, beyond U+10FFFF
    }
    if (lead < 0x20 || lead == 0x7F || (lead == 0xC2 && second < 0xA0)) {
      return fail("the name holds a control character");
    }
    i += length;
  }
  return true;
}

ConfigEditResult set_device_name(const std::string& path, std::string_view uuid,
                                 std::string_view name) {
  using Outcome = ConfigEditResult::Outcome;
  std::string why;
  if (!valid_device_uuid(uuid)) return {Outcome::Failed, "not a device uuid"};
  if (!valid_device_name(name, &why)) return {Outcome::Failed, why};
  std::ifstream in(path, std::ios::binary);
  if (!in) return {Outcome::Failed, "cannot read " + path};
  std::ostringstream read;
  read << in.rdbuf();
  const std::string text = read.str();
  if (text.starts_with(kAddonConfigHeader)) {
    return {Outcome::Generated,
            "the add-on writes " + path +
                " from its options at every start: set the name in the add-on's devices option "
                "to keep it"};
  }
  const Edited edited = edit_name(text, path, uuid, name);
  if (!edited.error.empty()) return {Outcome::Failed, path + ": " + edited.error};
  // Never write a file the bridge would refuse at its next start.
  const auto check = parse_config(edited.text, path);
  const DeviceConfig* device = check.config ? check.config->device(lower_uuid(uuid)) : nullptr;
  if (!device || device->name != name) {
    return {Outcome::Failed, path + ": the edit would not read back; edit it by hand"};
  }
  if (auto error = replace_file(path, edited.text); !error.empty()) {
    return {Outcome::Failed, path + ": " + error};
  }
  return {Outcome::Written, "written to " + path};
}

}  // namespace meross::bridge
