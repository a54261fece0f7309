#pragma once

// The web page in the daemon (bridge::DaemonCompanion): starts the server (web/server.hpp) and,
// on the daemon's thread, turns what the daemon knows into snapshots and carries out what the
// page asks.
//
// The daemon's thread is the only one that touches the registry, the sessions and Home
// Assistant's side. On its ticks it builds the snapshot (at most every 250 ms while a page is
// open, every 2 s otherwise, and never more often than ten times what one build takes) and hands
// it over only when it changed. The page's actions go the
// other way: the server's thread queues them here and wakes the loop (Daemon::wake); the next
// tick carries them out with the same calls the daemon makes itself (DeviceRegistry::resync).

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "bridge/config.hpp"
#include "bridge/daemon.hpp"
#include "web/device_page.hpp"
#include "web/log_tail.hpp"
#include "web/message_log.hpp"
#include "web/onboarding.hpp"
#include "web/server.hpp"

namespace meross::web {

class WebCompanion final : public bridge::DaemonCompanion {
 public:
  explicit WebCompanion(const bridge::Config& config);
  ~WebCompanion() override;

  bool start(bridge::Daemon& daemon, const bridge::HomeAssistant& ha) override;
  void tick(bridge::Daemon& daemon, bridge::HomeAssistant& ha, bridge::Now now) override;
  void stop() override;

 private:
  // On the server's thread: queues a re-read of a device the last snapshot listed.
  bool queue_reread(const std::string& uuid);
  void carry_out(bridge::Daemon& daemon, bridge::Now now);
  void snapshot(bridge::Daemon& daemon, const bridge::HomeAssistant& ha, bridge::Now now);

  const bridge::Config& config_;
  std::unique_ptr<Onboarding> onboarding_;  // before the server, which calls it: gone after it
  std::unique_ptr<Server> server_;
  bridge::Daemon* daemon_ = nullptr;
  std::int64_t started_ = 0;
  std::optional<bridge::TimePoint> last_build_;
  std::chrono::microseconds last_cost_{};  // what building the last snapshot took
  std::string last_devices_;
  std::string last_bridge_;

  std::mutex mutex_;             // the two below, shared with the server's thread
  std::set<std::string> known_;  // lower-case uuids of the last snapshot
  std::deque<std::string> rereads_;

  // --- The device pages, rename, the log tail -------------------------------------------------
  // A device page asked for within this time is watched: built with the snapshots, its messages
  // recorded (web/message_log.hpp). The page asks every few seconds while it is open.
  static constexpr auto kWatchTime = std::chrono::seconds(30);
  struct Watch {
    bridge::TimePoint asked{};
    std::shared_ptr<const std::string> page;  // null until the daemon's thread built it
  };
  PageRoutes page_routes();
  // On the server's thread: the page of a device of the last snapshot (nullopt: none), watched
  // from now on; and a rename to carry out.
  std::optional<std::shared_ptr<const std::string>> device_page(const std::string& uuid);
  bool queue_rename(const std::string& uuid, const std::string& name);
  // On the daemon's thread: renames, the watched devices; whether a page waits to be built.
  bool carry_out_pages(bridge::Daemon& daemon, bridge::HomeAssistant& ha);
  void build_pages(bridge::Daemon& daemon, const bridge::HomeAssistant& ha,
                   const std::vector<DeviceRow>& rows);

  std::shared_ptr<LogTail> log_tail_;
  MessageLog messages_;                        // the daemon's thread's
  std::map<std::string, RenameNote> renamed_;  // the daemon's thread's, by lower-case uuid
  std::map<std::string, Watch> watches_;       // under mutex_, by lower-case uuid
  std::deque<std::pair<std::string, std::string>> renames_;  // under mutex_: uuid, name
};

// What "Add devices" needs from the configuration (web/onboarding.hpp); `self` is this program.
OnboardingSettings onboarding_settings(const bridge::Config& config, const std::string& self);

// For bridge::BridgeCommands::web.
std::unique_ptr<bridge::DaemonCompanion> make_web_companion(const bridge::Config& config);

}  // namespace meross::web
