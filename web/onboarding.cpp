#include "web/onboarding.hpp"

#include <algorithm>
#include <cctype>

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "protocol/json.hpp"
#include "protocol/json_writer.hpp"
#include "web/json_members.hpp"
#include "web/pair_child.hpp"

namespace meross::web {
namespace {

// The page keeps the last lines of a step's text, each cut short.
constexpr std::size_t kLogLines = 60;
// A scan of a /22 at 32 requests in flight and a move of many devices end well within this.
constexpr std::chrono::seconds kStepLimit{600};
constexpr std::size_t kMaxTargets = 64;
constexpr const char* kBusy = "a step is running; wait for it to end";

std::string member_text(const rapidjson::Value& object, std::string_view name) {
  const auto value = protocol::string_member(object, name);
  return value ? std::string(*value) : std::string();
}

// The array `name` of a --json document (null without one).
const rapidjson::Value* array_of(const rapidjson::Value* document, std::string_view name) {
  if (!document) return nullptr;
  const auto* value = protocol::find_member(*document, name);
  return value && value->IsArray() ? value : nullptr;
}

bool safe_target(std::string_view t) {
  return !t.empty() && t.size() <= 64 && t.front() != '-' &&
         std::all_of(t.begin(), t.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '.' || c == ':' || c == '/' || c == '[' ||
                  c == ']' || c == '-';
         });
}

std::vector<std::string> split_targets(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (const char c : text) {
    if (c == ' ' || c == ',' || c == '\n' || c == '\t' || c == '\r') {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

// `json`: an array written by protocol::to_json.
void raw_member(protocol::JsonStringWriter& w, std::string_view key, const std::string& json) {
  w.key(key);
  w.RawValue(json.data(), json.size(), rapidjson::kArrayType);
}

}  // namespace

Onboarding::Onboarding(OnboardingSettings settings) : settings_(std::move(settings)) {}

Onboarding::~Onboarding() {
  stop();
}

void Onboarding::stop() {
  stop_ = true;
  if (worker_.joinable()) worker_.join();
}

Response Onboarding::begin(const std::string& step, std::vector<std::string> argv,
                           std::string secrets, Finish finish, const std::string& started) {
  {
    std::lock_guard lock(mutex_);
    if (busy_ || stop_) return error(409, kBusy);
    busy_ = true;
    step_ = step;
    status_ = "running";
    message_.clear();
    log_.clear();
  }
  // The previous step's thread has ended (busy_ was false); collect it before starting anew.
  if (worker_.joinable()) worker_.join();
  argv.insert(argv.begin(), settings_.pair_command);
  spdlog::info("web page: add devices: {} started (meross-pair {})", step, argv[1]);
  worker_ = std::thread([this, argv = std::move(argv), secrets = std::move(secrets), finish] {
    const auto outcome = run_child(
        argv, secrets, [this](std::string_view line) { add_log(line); }, stop_, kStepLimit);
    if (!outcome.problem.empty()) {
      spdlog::warn("web page: add devices: meross-pair {}: {}", argv[1], outcome.problem);
      end(false, "meross-pair " + argv[1] + ": " + outcome.problem);
      return;
    }
    rapidjson::Document doc;
    doc.Parse(outcome.out.c_str());
    const bool object = !doc.HasParseError() && doc.IsObject();
    (this->*finish)(outcome.exit_code, object ? &doc : nullptr);
  });
  return error(202, started);
}

std::string Onboarding::masked(std::string text) const {
  for (const std::string* secret : {&key_, &password_, &settings_.bridge_key}) {
    if (secret->empty()) continue;
    for (auto at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at))
      text.replace(at, secret->size(), "***");
  }
  return text;
}

void Onboarding::add_log(std::string_view line) {
  std::lock_guard lock(mutex_);
  // The CLI never prints a secret; masked all the same, as this text reaches the page.
  log_.push_back(masked(std::string(line)));
  if (log_.size() > kLogLines) log_.erase(log_.begin());
}

void Onboarding::end(bool ok, const std::string& message) {
  std::lock_guard lock(mutex_);
  password_.clear();
  busy_ = false;
  if (status_ == "running") status_ = ok ? "done" : "failed";
  message_ = masked(message);
}

Response Onboarding::sign_in(const std::string& email, const std::string& password,
                             const std::string& mfa_code, const std::string& api) {
  if (email.empty() || email.size() > 254 || email.find('@') == std::string::npos ||
      email.front() == '-') {
    return error(400, "expected the e-mail address of the Meross account");
  }
  if (password.empty() || password.size() > 512 || password.find('\n') != std::string::npos) {
    return error(400, "expected the password of the Meross account");
  }
  if (mfa_code.size() > 16 || !std::all_of(mfa_code.begin(), mfa_code.end(),
                                           [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return error(400, "the MFA code is digits");
  }
  if (!api.empty() &&
      (api.size() > 200 || !(api.starts_with("https://") || api.starts_with("http://")) ||
       !std::all_of(api.begin(), api.end(),
                    [](unsigned char c) { return std::isgraph(c) != 0; }))) {
    return error(400, "the API is an https:// address");
  }
  std::vector<std::string> argv{"account", "--json", "--email", email, "--password-file", "-"};
  if (!mfa_code.empty()) argv.insert(argv.end(), {"--mfa", mfa_code});
  // meross-pair checks it as it does on the command line (https, or http to loopback).
  if (!api.empty()) argv.insert(argv.end(), {"--api", api});
  {
    std::lock_guard lock(mutex_);
    if (busy_) return error(409, kBusy);
    email_ = email;
    password_ = password;
  }
  return begin("account", std::move(argv), password + "\n", &Onboarding::signed_in, "signing in");
}

void Onboarding::signed_in(int exit_code, const rapidjson::Value* document) {
  const auto* devices = array_of(document, "devices");
  if (exit_code != 0 || !devices) {
    std::lock_guard lock(mutex_);
    if (exit_code == 2) status_ = "mfa";
    password_.clear();
    busy_ = false;
    if (status_ == "running") status_ = "failed";
    message_ = exit_code == 2 ? "the account asks for a code from the authenticator app"
                              : "the sign-in failed (see the lines above)";
    return;
  }
  {
    std::lock_guard lock(mutex_);
    key_ = member_text(*document, "key");
    account_user_id_ = member_text(*document, "user_id");
    account_devices_ = protocol::to_json(*devices);
  }
  spdlog::info("web page: add devices: signed in to the Meross account");
  end(true, "signed in");
}

Response Onboarding::use_key(const std::string& key, std::uint64_t user_id) {
  if (key.empty() || key.size() > 256 ||
      !std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isgraph(c) != 0; })) {
    return error(400, "expected the key (printable, no spaces)");
  }
  std::lock_guard lock(mutex_);
  if (busy_) return error(409, kBusy);
  key_ = key;
  account_user_id_ = std::to_string(user_id);
  email_.clear();
  account_devices_ = "[]";
  step_ = "account";
  status_ = "done";
  message_ = "key set";
  return error(200, "key set");
}

Response Onboarding::forget() {
  std::lock_guard lock(mutex_);
  if (busy_) return error(409, kBusy);
  key_.clear();
  account_user_id_.clear();
  email_.clear();
  account_devices_ = "[]";
  found_ = "[]";
  movable_.clear();
  moved_.clear();
  step_.clear();
  status_ = "idle";
  message_.clear();
  log_.clear();
  return error(200, "forgotten");
}

Response Onboarding::scan(const std::string& targets) {
  const auto parts = split_targets(targets);
  if (parts.empty()) return error(400, "expected a range (192.168.1.0/24) or addresses");
  if (parts.size() > kMaxTargets) return error(400, "at most 64 addresses at once; give a range");
  std::vector<std::string> argv{"scan", "--json", "--key-stdin"};
  for (const auto& part : parts) {
    if (!safe_target(part)) return error(400, "not an address or a range: " + part.substr(0, 64));
    const bool range = part.find('/') != std::string::npos;
    if (range && parts.size() > 1) return error(400, "one range, or addresses, not both");
    argv.insert(argv.end(), {range ? "--cidr" : "--host", part});
  }
  std::string key;
  {
    std::lock_guard lock(mutex_);
    if (busy_) return error(409, kBusy);
    if (key_.empty()) return error(409, "sign in to the Meross account (or paste the key) first");
    key = key_;
  }
  return begin("scan", std::move(argv), key + "\n", &Onboarding::scanned, "scanning");
}

void Onboarding::scanned(int exit_code, const rapidjson::Value* document) {
  const auto* devices = array_of(document, "devices");
  if (!devices) return end(false, "the scan failed (see the lines above)");
  std::set<std::string> movable;
  for (const auto& d : devices->GetArray()) {
    if (d.IsObject() && member_text(d, "key") == "ours") movable.insert(member_text(d, "host"));
  }
  const auto count = devices->Size();
  {
    std::lock_guard lock(mutex_);
    found_ = protocol::to_json(*devices);
    movable_ = std::move(movable);
  }
  spdlog::info("web page: add devices: the scan found {} Meross device(s)", count);
  end(exit_code == 0 || exit_code == 1,
      std::to_string(count) + " Meross device" + (count == 1 ? "" : "s") + " found");
}

Response Onboarding::move(const std::vector<std::string>& hosts) {
  if (hosts.empty()) return error(400, "tick at least one device");
  if (settings_.device_broker.empty()) {
    return error(409,
                 "the address devices reach the broker at is not known: set [web] "
                 "device_broker");
  }
  std::vector<std::string> argv{"move", "--json", "--all", "--broker", settings_.device_broker};
  std::string secrets;
  {
    std::lock_guard lock(mutex_);
    if (busy_) return error(409, kBusy);
    if (key_.empty()) return error(409, "sign in to the Meross account (or paste the key) first");
    for (const auto& host : hosts) {
      if (movable_.count(host) == 0) {
        return error(400, "not a device of the last scan that answers the account's key: " +
                              host.substr(0, 64));
      }
      argv.insert(argv.end(), {"--host", host});
    }
    std::uint64_t user_id = settings_.user_id;
    if (user_id == 0) {
      try {
        user_id = account_user_id_.empty() ? 0 : std::stoull(account_user_id_);
      } catch (const std::exception&) {
        user_id = 0;
      }
    }
    argv.insert(argv.end(), {"--user-id", std::to_string(user_id), "--key-stdin"});
    secrets = key_ + "\n";
    // Moved devices sign with the bridge's key, so that the bridge believes them.
    if (!settings_.bridge_key.empty() && settings_.bridge_key != key_) {
      argv.push_back("--new-key-stdin");
      secrets += settings_.bridge_key + "\n";
    }
  }
  return begin("move", std::move(argv), std::move(secrets), &Onboarding::moved, "moving");
}

void Onboarding::moved(int exit_code, const rapidjson::Value* document) {
  const auto* devices = array_of(document, "devices");
  std::size_t count = 0;
  if (devices) {
    std::lock_guard lock(mutex_);
    for (const auto& d : devices->GetArray()) {
      if (!d.IsObject()) continue;
      if (member_text(d, "result") == "moved") ++count;
      Moved m{member_text(d, "host"), masked(protocol::to_json(d))};
      std::erase_if(moved_, [&](const Moved& old) { return old.host == m.host; });
      moved_.push_back(std::move(m));
    }
  }
  spdlog::info("web page: add devices: {} device(s) moved to the local broker", count);
  end(exit_code == 0, std::to_string(count) + " moved" +
                          (exit_code == 0 ? "" : "; some were not (see the lines above)"));
}

std::string Onboarding::state_json() const {
  std::lock_guard lock(mutex_);
  protocol::JsonStringWriter w(1024);
  w.StartObject();
  text_member(w, "step", step_);
  text_member(w, "status", status_);
  w.key("busy");
  w.Bool(busy_);
  text_member(w, "message", message_);
  w.key("log");
  w.StartArray();
  for (const auto& line : log_)
    w.string(line);
  w.EndArray();
  w.key("account");
  w.StartObject();
  w.key("has_key");
  w.Bool(!key_.empty());
  text_member(w, "email", email_);
  text_member(w, "user_id", account_user_id_);
  raw_member(w, "devices", account_devices_);
  w.EndObject();
  raw_member(w, "found", found_);
  w.key("moved");
  w.StartArray();
  for (const auto& m : moved_)
    w.RawValue(m.json.data(), m.json.size(), rapidjson::kObjectType);
  w.EndArray();
  w.key("ap");
  w.StartObject();
  text_member(w, "broker", settings_.device_broker);
  text_member(w, "ca_fingerprint", settings_.ca_fingerprint);
  number_member(w, "user_id", settings_.user_id);
  w.EndObject();
  text_member(w, "scan_default", settings_.scan_default);
  w.EndObject();
  return w.take();
}

}  // namespace meross::web
