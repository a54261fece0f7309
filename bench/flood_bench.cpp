// The Bind flood of issue 16 (item 4), for bench/run_all.py (loopback only, bounded durations):
// how much a flood of signed Binds from made-up uuids delays a known device's commands.
//
//   flood_bench rtt HOST PORT KEY UUID RATE SECONDS SAMPLES [TAIL_SECONDS]
//     1. quiet: SAMPLES command round trips on meross/UUID/switch_0 (set ON/OFF → the device →
//        the state back), as bench/mqtt_probe.cpp rtt does;
//     2. flood: a second client publishes RATE signed Binds per second, each from a new made-up
//        uuid on its own /appliance/<uuid>/publish, for SECONDS; meanwhile, and for TAIL_SECONDS
//        after it (default 20: the bridge's retries and give-ups of those uuids come later), the
//        same round trips run back to back.
//     Prints on one line: quiet_samples= quiet_p50_us= quiet_p99_us=; flood_samples=
//     flood_p50_us= flood_p99_us= flood_max_us= (round trips started while the Binds went out);
//     after_samples= after_p99_us= after_max_us= (the tail); timeouts= binds= ratio_p99= (flood
//     p99 over quiet p99). A round trip waits 5 s at most; one that got no state is a timeout,
//     and counts as 5 s in the percentiles.
//   flood_bench retained HOST PORT FILTER [SKIP...]
//     Counts the retained messages on FILTER whose topic contains none of the SKIP substrings, as
//     a client subscribing now gets them: "retained=<n>".
// Exit status 0 whenever the numbers could be measured, 2 on usage or connection errors.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <mosquitto.h>

#include "bench/mqtt_bench_client.hpp"
#include "protocol/envelope.hpp"

namespace {

namespace bench = meross::bench;
using bench::Clock;
using bench::Received;
using meross::protocol::Method;

constexpr const char* kTool = "flood_bench";
// A round trip that got no state within this long is a timeout.
constexpr auto kRoundTripTimeout = std::chrono::seconds(5);

std::string made_up_uuid(std::mt19937_64& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string uuid;
  for (int i = 0; i < 32; ++i)
    uuid += kHex[random() % 16];
  return uuid;
}

// A signed Bind as firmware sends it (meross-protocol.md §3.2), from `uuid`.
std::string bind_message(const std::string& uuid, const std::string& key) {
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  const std::string t = std::to_string(now);
  const std::string topic = "/appliance/" + uuid + "/publish";
  auto header =
      meross::protocol::make_request_header(Method::Set, "Appliance.Control.Bind", topic, key, now);
  return meross::protocol::serialize(
      header, R"({"bind":{"bindTime":)" + t + R"(,"time":{"timestamp":)" + t +
                  R"(,"timezone":"","timeRule":[]},"hardware":{"type":"mss310","subType":"us",)"
                  R"("version":"2.0.0","chipType":"mt7682","uuid":")" +
                  uuid +
                  R"(","macAddress":"48:e1:e9:00:00:00"},"firmware":{"version":"2.1.5",)"
                  R"("innerIp":"192.168.2.158","server":"192.168.2.30","port":8883,)"
                  R"("userId":0}}})");
}

int usage() {
  std::fprintf(stderr,
               "usage: flood_bench rtt HOST PORT KEY UUID RATE SECONDS SAMPLES [TAIL_SECONDS]\n"
               "       flood_bench retained HOST PORT FILTER [SKIP...]\n");
  return 2;
}

int retained(const std::string& host, int port, const std::string& filter,
             const std::vector<std::string>& skip) {
  // Only retained messages, each topic once, and none kept as a live one.
  std::set<std::string> retained_topics;
  Clock::time_point last_retained = Clock::now();
  Received received;
  received.keep = [&](const mosquitto_message& message, Clock::time_point now) {
    if (!message.retain) return false;
    const std::string topic = message.topic;
    const bool skipped = std::any_of(skip.begin(), skip.end(), [&](const auto& s) {
      return topic.find(s) != std::string::npos;
    });
    if (message.payloadlen > 0 && !skipped) retained_topics.insert(topic);
    last_retained = now;
    return false;
  };
  mosquitto* client = bench::connect(kTool, host, port, &received);
  if (!client || !bench::subscribe(client, received, filter)) return 2;
  // Retained messages come right after the SUBACK; done once none came for a second.
  for (int i = 0; i < 600; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard lock(received.mutex);
    if (Clock::now() - last_retained > std::chrono::seconds(1)) break;
  }
  std::size_t count = 0;
  {
    std::lock_guard lock(received.mutex);
    count = retained_topics.size();
  }
  std::printf("retained=%zu\n", count);
  bench::close(client);
  return 0;
}

int rtt(int argc, char** argv) {
  const std::string host = argv[2];
  const int port = std::atoi(argv[3]);
  const std::string key = argv[4];
  const std::string uuid = argv[5];
  const int rate = std::max(1, std::atoi(argv[6]));
  const int seconds = std::max(1, std::atoi(argv[7]));
  const int samples = std::max(1, std::atoi(argv[8]));
  const int tail = argc > 9 ? std::max(0, std::atoi(argv[9])) : 20;
  const std::string command_topic = "meross/" + uuid + "/switch_0/set";

  // The states, live: a retained one is the state from before the command.
  Received received;
  received.keep = [](const mosquitto_message& message, Clock::time_point) {
    return !message.retain;
  };
  mosquitto* ha = bench::connect(kTool, host, port, &received);
  if (!ha || !bench::subscribe(ha, received, "meross/" + uuid + "/switch_0/state")) {
    return 2;
  }
  mosquitto* flooder = bench::connect(kTool, host, port, nullptr);
  if (!flooder) return 2;

  bool on = true;
  std::vector<double> quiet;
  for (int i = 0; i < samples; ++i, on = !on) {
    const double us = bench::round_trip(ha, received, command_topic, on, kRoundTripTimeout);
    if (us >= 0) quiet.push_back(us);
  }

  std::atomic<bool> flooding{true};
  std::uint64_t binds = 0;
  std::thread flood([&] {
    std::mt19937_64 random{std::random_device{}()};
    const auto start = Clock::now();
    const auto total = static_cast<std::uint64_t>(rate) * static_cast<std::uint64_t>(seconds);
    for (; binds < total; ++binds) {
      // Paced: the i-th Bind goes out at start + i / rate.
      std::this_thread::sleep_until(start + std::chrono::microseconds(binds * 1000000 / rate));
      const std::string uuid_made_up = made_up_uuid(random);
      const std::string topic = "/appliance/" + uuid_made_up + "/publish";
      const std::string message = bind_message(uuid_made_up, key);
      mosquitto_publish(flooder, nullptr, topic.c_str(), static_cast<int>(message.size()),
                        message.data(), 0, false);
    }
    flooding = false;
  });
  // Round trips that started while the Binds went out, and those of the tail after them.
  std::vector<double> during;
  std::vector<double> after;
  int timeouts = 0;
  std::optional<Clock::time_point> flood_end;
  while (true) {
    if (!flooding && !flood_end) flood_end = Clock::now();
    if (flood_end && Clock::now() - *flood_end >= std::chrono::seconds(tail)) break;
    const bool in_flood = !flood_end;
    const double us = bench::round_trip(ha, received, command_topic, on, kRoundTripTimeout);
    on = !on;
    if (us < 0) ++timeouts;
    // A timeout counts as its 5 s (a lower bound): the percentiles must not leave it out.
    (in_flood ? during : after).push_back(us < 0 ? 5e6 : us);
  }
  flood.join();
  const double quiet_p99 = bench::percentile(quiet, 0.99);
  const double flood_p99 = bench::percentile(during, 0.99);
  std::printf(
      "quiet_samples=%zu quiet_p50_us=%.0f quiet_p99_us=%.0f flood_samples=%zu flood_p50_us=%.0f "
      "flood_p99_us=%.0f flood_max_us=%.0f after_samples=%zu after_p99_us=%.0f after_max_us=%.0f "
      "timeouts=%d binds=%llu ratio_p99=%.2f\n",
      quiet.size(), bench::percentile(quiet, 0.5), quiet_p99, during.size(),
      bench::percentile(during, 0.5), flood_p99, bench::percentile(during, 1.0), after.size(),
      bench::percentile(after, 0.99), bench::percentile(after, 1.0), timeouts,
      static_cast<unsigned long long>(binds), quiet_p99 > 0 ? flood_p99 / quiet_p99 : 0.0);
  bench::close(flooder);
  bench::close(ha);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return usage();
  const std::string mode = argv[1];
  mosquitto_lib_init();
  int status = 2;
  if (mode == "rtt" && argc >= 9) {
    status = rtt(argc, argv);
  } else if (mode == "retained") {
    status = retained(argv[2], std::atoi(argv[3]), argv[4],
                      std::vector<std::string>(argv + 5, argv + argc));
  } else {
    status = usage();
  }
  mosquitto_lib_cleanup();
  return status;
}
