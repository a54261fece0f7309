#pragma once

// "Add devices" on the page (issue 18): sign in to the Meross account (or take a pasted key), scan
// the LAN, move the ticked devices to the local broker, through the same code as the CLI: each
// step runs `meross-pair account|scan|move --json` as a child process (web/pair_child.hpp) on a
// worker thread of its own, so the daemon's loop never waits for the network and the daemon never
// links the HTTP client (docs/architecture.md, "Adding devices from the page").
//
// One step at a time (another is refused: 409). The account key and password live only in this
// object and go to the child on its stdin; state_json() (what the page reads) never holds them.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/fwd.h>

#include "web/routes.hpp"

namespace meross::web {

struct OnboardingSettings {
  std::string pair_command;    // the meross-pair program (or meross-bridge, which has the same)
  std::string device_broker;   // mqtts://HOST:PORT that devices must use ("" = unknown)
  std::string bridge_key;      // secret: the key the bridge verifies; written to moved devices
  std::uint64_t user_id = 0;   // the bridge's userId (0: the account's)
  std::string ca_fingerprint;  // SHA-256 of the CA the broker's certificate is signed by
  std::string scan_default;    // what the scan field starts with
};

class Onboarding {
 public:
  explicit Onboarding(OnboardingSettings settings);
  ~Onboarding();  // stop()
  Onboarding(const Onboarding&) = delete;
  Onboarding& operator=(const Onboarding&) = delete;

  // Kills a running child and waits for its thread.
  void stop();

  // Each answers 202 (started), 200 (done at once), 409 (a step runs, or sign in first) or 400.
  // `api`: the account's region (the CLI's --api; "" = its default, redirects are followed).
  Response sign_in(const std::string& email, const std::string& password,
                   const std::string& mfa_code, const std::string& api);
  Response use_key(const std::string& key, std::uint64_t user_id);
  Response forget();
  // `targets`: a CIDR range, or addresses (IP[:PORT]) separated by spaces or commas.
  Response scan(const std::string& targets);
  // `hosts`: some of the last scan's devices that answered with the account's key.
  Response move(const std::vector<std::string>& hosts);

  // What the page shows: the step and its log, the account's devices, what the scan found, what
  // moved, and the AP pairing values. Never a key or a password.
  std::string state_json() const;

 private:
  // A device of a move's outcome, as JSON, by its host (a later move replaces it).
  struct Moved {
    std::string host;
    std::string json;
  };

  // What a step does with the child's exit code and its --json document (null when it printed
  // none), on the worker thread.
  using Finish = void (Onboarding::*)(int exit_code, const rapidjson::Value* document);
  // Runs `meross-pair argv...` on the worker thread with `secrets` on its stdin, then `finish`:
  // 202 `started`, or 409 when a step runs.
  Response begin(const std::string& step, std::vector<std::string> argv, std::string secrets,
                 Finish finish, const std::string& started);
  void add_log(std::string_view line);
  void end(bool ok, const std::string& message);
  std::string masked(std::string text) const;

  void signed_in(int exit_code, const rapidjson::Value* document);
  void scanned(int exit_code, const rapidjson::Value* document);
  void moved(int exit_code, const rapidjson::Value* document);

  const OnboardingSettings settings_;
  mutable std::mutex mutex_;  // all below, shared by the server's thread and the worker
  std::string key_;           // secret: the account's key (signs the scan and the move)
  std::string password_;      // secret: only while the sign-in runs
  std::string account_user_id_;
  std::string email_;
  // The arrays of the children's --json documents, as JSON text: shown as they are.
  std::string account_devices_ = "[]";
  std::string found_ = "[]";
  std::set<std::string> movable_;  // hosts of found_ that answered with the account's key
  std::vector<Moved> moved_;
  std::string step_;             // "account", "scan", "move"; "" before the first
  std::string status_ = "idle";  // "running", "done", "failed", "mfa"
  std::string message_;
  std::vector<std::string> log_;
  bool busy_ = false;
  std::thread worker_;
  std::atomic<bool> stop_{false};
};

// The page's add-devices API below /api/add/ (path without that prefix: "state", "account",
// "key", "forget", "scan", "move"). Bodies are JSON objects; a bad one gets 400 with the reason.
Response route_onboarding(const Request& request, std::string_view path, Onboarding& onboarding);

}  // namespace meross::web
