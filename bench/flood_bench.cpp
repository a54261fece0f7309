// The Bind flood of issue 16 (item 4), for bench/run-all.sh (loopback only, bounded durations):
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
#include <condition_variable>
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

#include "protocol/envelope.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using meross::protocol::Method;

struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::string last_payload;
  std::uint64_t received = 0;
  Clock::time_point last;
  bool subscribed = false;
  std::set<std::string> retained_topics;
  std::vector<std::string> skip;
  Clock::time_point last_retained = Clock::now();
};

void on_message(mosquitto*, void* user, const mosquitto_message* message) {
  auto* shared = static_cast<Shared*>(user);
  const auto now = Clock::now();
  std::lock_guard lock(shared->mutex);
  if (message->retain) {
    const std::string topic = message->topic;
    const bool skipped = std::any_of(shared->skip.begin(), shared->skip.end(), [&](const auto& s) {
      return topic.find(s) != std::string::npos;
    });
    if (message->payloadlen > 0 && !skipped) {
      shared->retained_topics.insert(topic);
    }
    shared->last_retained = now;
    return;
  }
  shared->last_payload.assign(static_cast<const char*>(message->payload),
                              message->payload ? static_cast<std::size_t>(message->payloadlen) : 0);
  ++shared->received;
  shared->last = now;
  shared->changed.notify_all();
}

void on_subscribe(mosquitto*, void* user, int, int, const int*) {
  auto* shared = static_cast<Shared*>(user);
  std::lock_guard lock(shared->mutex);
  shared->subscribed = true;
  shared->changed.notify_all();
}

mosquitto* connect(const std::string& host, int port, Shared* shared) {
  mosquitto* client = mosquitto_new(nullptr, true, shared);
  if (!client) return nullptr;
  mosquitto_int_option(client, MOSQ_OPT_TCP_NODELAY, 1);
  if (shared) {
    mosquitto_message_callback_set(client, on_message);
    mosquitto_subscribe_callback_set(client, on_subscribe);
  }
  if (mosquitto_connect(client, host.c_str(), port, 30) != MOSQ_ERR_SUCCESS ||
      mosquitto_loop_start(client) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "flood_bench: cannot connect to %s:%d\n", host.c_str(), port);
    mosquitto_destroy(client);
    return nullptr;
  }
  return client;
}

bool subscribe(mosquitto* client, Shared& shared, const std::string& filter) {
  mosquitto_subscribe(client, nullptr, filter.c_str(), 1);
  std::unique_lock lock(shared.mutex);
  return shared.changed.wait_for(lock, std::chrono::seconds(5), [&] { return shared.subscribed; });
}

void close(mosquitto* client) {
  mosquitto_disconnect(client);
  mosquitto_loop_stop(client, false);
  mosquitto_destroy(client);
}

// One command round trip in µs; negative when no state came within 5 s.
double round_trip(mosquitto* client, Shared& shared, const std::string& command_topic, bool on) {
  const std::string payload = on ? "ON" : "OFF";
  std::unique_lock lock(shared.mutex);
  const auto seen = shared.received;
  const auto start = Clock::now();
  lock.unlock();
  mosquitto_publish(client, nullptr, command_topic.c_str(), static_cast<int>(payload.size()),
                    payload.data(), 1, false);
  lock.lock();
  const bool ok = shared.changed.wait_for(lock, std::chrono::seconds(5), [&] {
    return shared.received > seen && shared.last_payload == payload;
  });
  return ok ? std::chrono::duration<double, std::micro>(shared.last - start).count() : -1;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

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
             std::vector<std::string> skip) {
  Shared shared;
  shared.skip = std::move(skip);
  mosquitto* client = connect(host, port, &shared);
  if (!client || !subscribe(client, shared, filter)) return 2;
  // Retained messages come right after the SUBACK; done once none came for a second.
  for (int i = 0; i < 600; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard lock(shared.mutex);
    if (Clock::now() - shared.last_retained > std::chrono::seconds(1)) break;
  }
  std::size_t count = 0;
  {
    std::lock_guard lock(shared.mutex);
    count = shared.retained_topics.size();
  }
  std::printf("retained=%zu\n", count);
  close(client);
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

  Shared shared;
  mosquitto* ha = connect(host, port, &shared);
  if (!ha || !subscribe(ha, shared, "meross/" + uuid + "/switch_0/state")) return 2;
  mosquitto* flooder = connect(host, port, nullptr);
  if (!flooder) return 2;

  bool on = true;
  std::vector<double> quiet;
  for (int i = 0; i < samples; ++i, on = !on) {
    const double us = round_trip(ha, shared, command_topic, on);
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
    const double us = round_trip(ha, shared, command_topic, on);
    on = !on;
    if (us < 0) ++timeouts;
    // A timeout counts as its 5 s (a lower bound): the percentiles must not leave it out.
    (in_flood ? during : after).push_back(us < 0 ? 5e6 : us);
  }
  flood.join();
  const double quiet_p99 = percentile(quiet, 0.99);
  const double flood_p99 = percentile(during, 0.99);
  std::printf(
      "quiet_samples=%zu quiet_p50_us=%.0f quiet_p99_us=%.0f flood_samples=%zu flood_p50_us=%.0f "
      "flood_p99_us=%.0f flood_max_us=%.0f after_samples=%zu after_p99_us=%.0f after_max_us=%.0f "
      "timeouts=%d binds=%llu ratio_p99=%.2f\n",
      quiet.size(), percentile(quiet, 0.5), quiet_p99, during.size(), percentile(during, 0.5),
      flood_p99, percentile(during, 1.0), after.size(), percentile(after, 0.99),
      percentile(after, 1.0), timeouts, static_cast<unsigned long long>(binds),
      quiet_p99 > 0 ? flood_p99 / quiet_p99 : 0.0);
  close(flooder);
  close(ha);
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
