// Small MQTT helper for bench/run-all.sh (loopback only, bounded durations).
//
//   mqtt_probe count HOST PORT FILTER SECONDS [SUBSTRING]
//     Subscribes to FILTER and counts the live (not retained) messages whose payload contains
//     SUBSTRING (all when omitted) for at most SECONDS, stopping 3 s after the last one once
//     messages flowed. Prints "count=<n> seconds=<s> rate=<r>", the rate from the first to the
//     last arrival. SIGUSR1 restarts the count (run-all.sh sends it once the bridge has learned
//     every device, so that the rate covers the steady state only).
//   mqtt_probe rtt HOST PORT COMMAND_TOPIC STATE_TOPIC SAMPLES
//     Publishes ON and OFF alternately on COMMAND_TOPIC and waits for STATE_TOPIC to carry that
//     payload (2 s each at most). COMMAND_TOPIC == STATE_TOPIC measures the raw broker round
//     trip. Prints "samples=<n> timeouts=<t> p50_us=<a> p99_us=<b>".
// Exit status 0 in every case the numbers could be measured, 2 on usage or connection errors.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include <mosquitto.h>

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> restart{false};
extern "C" void on_usr1(int) {
  restart = true;
}

struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::string substring;
  std::string last_payload;
  std::uint64_t received = 0;  // messages matching, live only
  Clock::time_point first;
  Clock::time_point last;
  bool subscribed = false;
};

void on_message(mosquitto*, void* user, const mosquitto_message* message) {
  auto* shared = static_cast<Shared*>(user);
  if (message->retain) return;
  const std::string payload(static_cast<const char*>(message->payload),
                            message->payload ? static_cast<std::size_t>(message->payloadlen) : 0);
  if (!shared->substring.empty() && payload.find(shared->substring) == std::string::npos) return;
  const auto now = Clock::now();
  std::lock_guard lock(shared->mutex);
  if (shared->received++ == 0) shared->first = now;
  shared->last = now;
  shared->last_payload = payload;
  shared->changed.notify_all();
}

void on_subscribe(mosquitto*, void* user, int, int, const int*) {
  auto* shared = static_cast<Shared*>(user);
  std::lock_guard lock(shared->mutex);
  shared->subscribed = true;
  shared->changed.notify_all();
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int usage() {
  std::fprintf(stderr,
               "usage: mqtt_probe count HOST PORT FILTER SECONDS [SUBSTRING]\n"
               "       mqtt_probe rtt HOST PORT COMMAND_TOPIC STATE_TOPIC SAMPLES\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) return usage();
  const std::string mode = argv[1];
  const std::string host = argv[2];
  const int port = std::atoi(argv[3]);
  if (mode != "count" && mode != "rtt") return usage();
  if (mode == "rtt" && argc < 7) return usage();

  std::signal(SIGUSR1, on_usr1);
  Shared shared;
  if (mode == "count" && argc > 6) shared.substring = argv[6];
  mosquitto_lib_init();
  mosquitto* client = mosquitto_new(nullptr, true, &shared);
  if (!client) return 2;
  mosquitto_int_option(client, MOSQ_OPT_TCP_NODELAY, 1);  // round trips, not delayed ACKs
  mosquitto_message_callback_set(client, on_message);
  mosquitto_subscribe_callback_set(client, on_subscribe);
  if (mosquitto_connect(client, host.c_str(), port, 30) != MOSQ_ERR_SUCCESS ||
      mosquitto_loop_start(client) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "mqtt_probe: cannot connect to %s:%d\n", host.c_str(), port);
    return 2;
  }
  const std::string filter = mode == "count" ? argv[4] : argv[5];
  mosquitto_subscribe(client, nullptr, filter.c_str(), 1);
  {
    std::unique_lock lock(shared.mutex);
    if (!shared.changed.wait_for(lock, std::chrono::seconds(5),
                                 [&] { return shared.subscribed; })) {
      std::fprintf(stderr, "mqtt_probe: no SUBACK\n");
      return 2;
    }
  }

  if (mode == "count") {
    const auto deadline = Clock::now() + std::chrono::seconds(std::atoi(argv[5]));
    std::unique_lock lock(shared.mutex);
    while (Clock::now() < deadline) {
      shared.changed.wait_for(lock, std::chrono::milliseconds(200));
      if (restart.exchange(false)) shared.received = 0;
      if (shared.received > 0 && Clock::now() - shared.last > std::chrono::seconds(3)) break;
    }
    const double seconds = shared.received > 1 ? seconds_between(shared.first, shared.last) : 0;
    std::printf("count=%llu seconds=%.3f rate=%.1f\n",
                static_cast<unsigned long long>(shared.received), seconds,
                seconds > 0 ? static_cast<double>(shared.received - 1) / seconds : 0.0);
  } else {
    const std::string command_topic = argv[4];
    const int samples = std::max(1, std::atoi(argv[6]));
    std::vector<double> micros;
    int timeouts = 0;
    for (int i = 0; i < samples; ++i) {
      const std::string payload = i % 2 ? "OFF" : "ON";
      std::unique_lock lock(shared.mutex);
      const auto seen = shared.received;
      const auto start = Clock::now();
      lock.unlock();
      mosquitto_publish(client, nullptr, command_topic.c_str(), static_cast<int>(payload.size()),
                        payload.data(), 1, false);
      lock.lock();
      const bool ok = shared.changed.wait_for(lock, std::chrono::seconds(2), [&] {
        return shared.received > seen && shared.last_payload == payload;
      });
      if (ok) {
        micros.push_back(seconds_between(start, shared.last) * 1e6);
      } else {
        ++timeouts;
      }
    }
    std::sort(micros.begin(), micros.end());
    auto pct = [&](double p) {
      if (micros.empty()) return 0.0;
      const auto index = static_cast<std::size_t>(p * static_cast<double>(micros.size() - 1));
      return micros[index];
    };
    std::printf("samples=%zu timeouts=%d p50_us=%.0f p99_us=%.0f\n", micros.size(), timeouts,
                pct(0.50), pct(0.99));
  }
  mosquitto_disconnect(client);
  mosquitto_loop_stop(client, false);
  mosquitto_destroy(client);
  mosquitto_lib_cleanup();
  return 0;
}
