#include "pairing/account_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <memory>
#include <sstream>
#include <system_error>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "pairing/cli_command.hpp"
#include "pairing/device_commands.hpp"
#include "pairing/machine_output.hpp"
#include "pairing/private_file.hpp"

namespace meross::pairing {
namespace {

namespace fs = std::filesystem;
using protocol::Error;

constexpr int kMfaExit = 2;

// Ctrl-C at the prompt must not leave the terminal without echo: the handlers put the saved
// settings back (tcsetattr is async-signal-safe) and let the signal do what it would have done.
int g_prompt_tty = -1;
termios g_prompt_saved{};

extern "C" void restore_echo_and_reraise(int sig) {
  ::tcsetattr(g_prompt_tty, TCSANOW, &g_prompt_saved);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

class Tty {
 public:
  Tty() : fd_(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {}
  ~Tty() {
    if (fd_ >= 0) ::close(fd_);
  }
  Tty(const Tty&) = delete;
  Tty& operator=(const Tty&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

std::optional<std::string> prompt_password(std::ostream& err) {
  const Tty tty;
  termios saved{};
  if (tty.fd() < 0 || ::tcgetattr(tty.fd(), &saved) != 0) {
    err << "error: no terminal to ask for the password on; give --password-file FILE\n";
    return std::nullopt;
  }
  constexpr std::string_view prompt = "Meross account password: ";
  if (::write(tty.fd(), prompt.data(), prompt.size()) < 0) {
    err << "error: cannot write to the terminal; give --password-file FILE\n";
    return std::nullopt;
  }
  g_prompt_tty = tty.fd();
  g_prompt_saved = saved;
  constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  struct sigaction restore {};
  restore.sa_handler = &restore_echo_and_reraise;
  sigemptyset(&restore.sa_mask);
  struct sigaction previous[std::size(kSignals)] = {};
  for (std::size_t i = 0; i < std::size(kSignals); ++i)
    ::sigaction(kSignals[i], &restore, &previous[i]);
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ICANON;
  std::string password;
  bool read_ok = false;
  if (::tcsetattr(tty.fd(), TCSAFLUSH, &quiet) == 0) {
    char c = 0;
    while (::read(tty.fd(), &c, 1) == 1 && c != '\n' && password.size() < 1024)
      password += c;
    read_ok = true;
  }
  ::tcsetattr(tty.fd(), TCSAFLUSH, &saved);
  for (std::size_t i = 0; i < std::size(kSignals); ++i)
    ::sigaction(kSignals[i], &previous[i], nullptr);
  [[maybe_unused]] const auto newline = ::write(tty.fd(), "\n", 1);
  if (!read_ok) {
    err << "error: cannot switch off echo on the terminal; give --password-file FILE\n";
    return std::nullopt;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    err << "error: no password given\n";
    return std::nullopt;
  }
  return password;
}

// The password: the file's first line without its line end (other whitespace is part of it), or
// typed on the terminal with echo off. Never an argument: it would show in `ps` and the history.
std::optional<std::string> read_password(const std::string& file, std::ostream& err) {
  if (file.empty()) return prompt_password(err);
  if (file == "-") return read_secret_line(std::cin, "the password", err);
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    err << "error: cannot read the password file " << file << "\n";
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    err << "error: the password file " << file << " is empty\n";
    return std::nullopt;
  }
  return line;
}

// Names come from the account: printable on one line whatever the user called the device.
std::string shown(std::string_view text) {
  std::string out;
  for (const char c : text)
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out.empty() ? "-" : out;
}

bool valid_uuid(std::string_view uuid) {
  return uuid.size() == 32 && std::all_of(uuid.begin(), uuid.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0;
         });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

protocol::Result<std::string> update_bridge_toml(std::string_view text,
                                                 const BridgeTomlUpdate& update,
                                                 std::string_view file_name) {
  toml::table root;
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    return Error{"", std::string(file_name) + ":" + std::to_string(e.source().begin.line) + ": " +
                         std::string(e.description())};
  }
  if (update.key || update.user_id) {
    if (root.contains("meross") && !root["meross"].is_table()) {
      return Error{"meross", std::string(file_name) + ": [meross] is not a table"};
    }
    if (!root.contains("meross")) root.insert("meross", toml::table{});
    toml::table& meross = *root["meross"].as_table();
    if (update.key) meross.insert_or_assign("key", *update.key);
    if (update.user_id) {
      if (*update.user_id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return Error{"meross.user_id", "too large for TOML"};
      }
      meross.insert_or_assign("user_id", static_cast<std::int64_t>(*update.user_id));
    }
  }
  if (!update.devices.empty()) {
    if (!root.contains("devices")) root.insert("devices", toml::array{});
    toml::array* devices = root["devices"].as_array();
    if (!devices || !devices->is_array_of_tables()) {
      if (!devices || !devices->empty()) {
        return Error{"devices", std::string(file_name) + ": devices is not a list of [[devices]]"};
      }
    }
    for (const auto& device : update.devices) {
      toml::table* found = nullptr;
      for (auto& item : *devices) {
        auto* table = item.as_table();
        const auto uuid = table ? (*table)["uuid"].value<std::string>() : std::nullopt;
        if (uuid && lower(*uuid) == lower(device.uuid)) {
          found = table;
          break;
        }
      }
      if (found) {
        const auto name = (*found)["name"].value<std::string>();
        if ((!name || name->empty()) && !device.name.empty()) {
          found->insert_or_assign("name", device.name);
        }
        continue;
      }
      toml::table entry{{"uuid", lower(device.uuid)}};
      if (!device.name.empty()) entry.insert("name", device.name);
      devices->push_back(std::move(entry));
    }
  }
  std::ostringstream out;
  out << toml::toml_formatter(root, toml::format_flags::allow_unicode_strings) << "\n";
  return out.str();
}

std::optional<protocol::Error> update_bridge_config(const fs::path& path,
                                                    const BridgeTomlUpdate& update) {
  std::error_code ec;
  std::string text;
  const auto status = fs::symlink_status(path, ec);
  if (!ec && fs::exists(status)) {
    if (!fs::is_regular_file(status)) return Error{"", path.string() + " is not a regular file"};
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"", "cannot read " + path.string()};
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  auto updated = update_bridge_toml(text, update, path.string());
  if (!updated) return updated.error();
  // Written beside the file, then renamed over it: a crash leaves the old file or the new one.
  fs::path temporary = path;
  temporary += ".tmp-" + std::to_string(::getpid());
  if (auto error = write_new_file(temporary, 0600, true, *updated)) return error;
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::error_code rename_error(errno, std::generic_category());
    ::unlink(temporary.c_str());
    return Error{"", "cannot replace " + path.string() + ": " + rename_error.message()};
  }
  return std::nullopt;
}

int run_account(const AccountOptions& options, std::ostream& out, std::ostream& err,
                const cloud::CloudPost* post_override) {
  // With --json the text goes to stderr and stdout carries only the JSON document.
  std::ostream& text = options.json ? err : out;
  if (options.email.empty() || options.email.find('@') == std::string::npos) {
    err << "error: --email: expected the e-mail address of your Meross account\n";
    return 1;
  }
  auto api = cloud::check_api_base(options.api);
  if (!api) {
    err << "error: " << api.error().describe() << "\n";
    return 1;
  }
  const auto password = read_password(options.password_file, err);
  if (!password) return 1;

  const double timeout =
      std::isfinite(options.timeout_s) ? std::clamp(options.timeout_s, 1.0, 120.0) : 30.0;
  const long total_ms = static_cast<long>(timeout * 1000);
  const cloud::CloudPost post =
      post_override ? *post_override : cloud::curl_post(std::min(total_ms, 10000L), total_ms);

  cloud::SignInRequest request;
  request.email = options.email;
  request.password = *password;
  request.mfa_code = options.mfa_code;
  request.country_code = cloud::region_of(*api);
  auto outcome = cloud::sign_in(post, *api, request, 3, [&text](const std::string& next) {
    text << "region:      the account lives at " << next << "; signing in there\n";
  });
  if (!outcome) {
    err << "error: sign-in: " << outcome.error().describe() << "\n";
    return 1;
  }
  const auto& answer = outcome->answer;
  if (answer.status != cloud::kOk) {
    err << "error: sign-in at " << outcome->base << ": "
        << cloud::describe_api_status(answer.status, answer.info) << "\n";
    return answer.status == cloud::kMfaCodeRequired || answer.status == cloud::kWrongMfaCode
               ? kMfaExit
               : 1;
  }
  const auto& credentials = *answer.credentials;
  // The token is for the API host the sign-in names; it must pass the same checks as a redirect.
  std::string base = outcome->base;
  if (!credentials.domain.empty()) {
    auto domain = cloud::redirect_target(base, credentials.domain);
    if (!domain) {
      err << "error: sign-in answer: " << domain.error().describe() << "\n";
      return 1;
    }
    base = std::move(*domain);
  }
  text << "signed in:   " << shown(options.email) << " at " << base << ", userId "
       << credentials.user_id << "\n";

  auto devices = cloud::list_devices(post, base, credentials.token);
  if (!devices) {
    cloud::log_out(post, base, credentials.token);
    err << "error: " << devices.error().describe() << "\n";
    return 1;
  }
  text << devices->size() << " device(s) on the account:\n";
  for (const auto& d : *devices) {
    text << "  " << shown(d.name) << "  uuid " << shown(d.uuid) << "  model " << shown(d.type)
         << "  firmware " << shown(d.firmware) << "  " << cloud::online_name(d.online_status)
         << "\n";
    if (!cloud::is_hub(d)) continue;
    // Only shown: the children are reached through the hub and need no entry of their own.
    auto children = cloud::list_sub_devices(post, base, credentials.token, d.uuid);
    if (!children) {
      err << "warning: the sub-devices of " << shown(d.name) << ": " << children.error().describe()
          << "\n";
      continue;
    }
    for (const auto& child : *children) {
      text << "      sub-device " << shown(child.name) << "  id " << shown(child.id) << "  model "
           << shown(child.type) << "\n";
    }
  }
  cloud::log_out(post, base, credentials.token);
  if (options.json) out << account_json(credentials.user_id, credentials.key, *devices) << "\n";

  if (options.write_config.empty()) {
    if (!options.json) {
      text << "key:         received, not shown; --write-config FILE stores it with the userId\n";
    }
    return 0;
  }
  BridgeTomlUpdate update;
  update.key = credentials.key;
  update.user_id = std::stoull(credentials.user_id);  // checked decimal by parse_sign_in
  for (const auto& d : *devices) {
    if (!valid_uuid(d.uuid)) {
      err << "warning: device " << shown(d.name) << " has an unusual uuid; not added\n";
      continue;
    }
    update.devices.push_back({d.uuid, d.name});
  }
  if (auto error = update_bridge_config(options.write_config, update)) {
    err << "error: --write-config: " << error->describe() << "\n";
    return 1;
  }
  text << "written:     " << options.write_config << " (0600): [meross] key and user_id, "
       << update.devices.size() << " [[devices]] entr" << (update.devices.size() == 1 ? "y" : "ies")
       << "; other settings kept\n"
       << "Check it:    meross-bridge check-config " << options.write_config << "\n";
  return 0;
}

void add_account_command(CLI::App& app) {
  auto options = std::make_shared<AccountOptions>();
  auto* sub = app.add_subcommand(kAccountCommand.name, kAccountCommand.summary);
  sub->add_option("--email", options->email, "your Meross account's e-mail address")->required();
  sub->add_option("--password-file", options->password_file,
                  "file whose first line is the password, - for stdin (default: asked on the "
                  "terminal)");
  sub->add_option("--mfa", options->mfa_code, "the code from your authenticator app, if asked");
  sub->add_option("--api", options->api,
                  "the Meross API of your region: https://iotx-eu.meross.com, "
                  "https://iotx-us.meross.com or https://iotx-ap.meross.com (redirects followed)")
      ->capture_default_str();
  sub->add_option("--write-config", options->write_config,
                  "bridge TOML to store the key, user_id and devices in (created 0600 if absent; "
                  "other settings kept)");
  sub->add_option("--timeout", options->timeout_s, "seconds to wait for each API answer")
      ->capture_default_str();
  sub->add_flag("--json", options->json,
                "print the userId, the key and the devices as JSON on stdout (for a program "
                "reading a pipe; refused on a terminal)");
  // A lambda, not run_command(): run_account's last parameter has a default.
  sub->callback([options] {
    if (options->json && !json_allowed_on_stdout(std::cerr)) exit_with(1);
    exit_with(run_account(*options, std::cout, std::cerr));
  });
}

}  // namespace meross::pairing
