// Small MQTT helper for bench/run_all.py (loopback only, bounded durations).
//
//   mqtt_probe count HOST PORT FILTER SECONDS [SUBSTRING]
//     Subscribes to FILTER and counts the live (not retained) messages whose payload contains
//     SUBSTRING (all when omitted) for at most SECONDS, stopping 3 s after the last one once
//     messages flowed. Prints "count=<n> seconds=<s> rate=<r>", the rate from the first to the
//     last arrival. SIGUSR1 restarts the count (run_all.py sends it once the bridge has learned
//     every device, so that the rate covers the steady state only).
//   mqtt_probe rtt HOST PORT COMMAND_TOPIC STATE_TOPIC SAMPLES
//     Publishes ON and OFF alternately on COMMAND_TOPIC and waits for STATE_TOPIC to carry that
//     payload (2 s each at most). COMMAND_TOPIC == STATE_TOPIC measures the raw broker round
//     trip. Prints "samples=<n> timeouts=<t> p50_us=<a> p99_us=<b>".
// Exit status 0 in every case the numbers could be measured, 2 on usage or connection errors.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <mosquitto.h>

#include "bench/mqtt_bench_client.hpp"

namespace {

using meross::bench::Clock;

std::atomic<bool> restart{false};
extern "C" void on_usr1(int) {
  restart = true;
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
  meross::bench::Received received;
  // Live messages only (a retained one is an old state), containing SUBSTRING when given.
  const std::string substring = mode == "count" && argc > 6 ? argv[6] : "";
  received.keep = [&](const mosquitto_message& message, Clock::time_point) {
    if (message.retain) return false;
    const std::string_view payload(
        static_cast<const char*>(message.payload),
        message.payload ? static_cast<std::size_t>(message.payloadlen) : 0);
    return substring.empty() || payload.find(substring) != std::string_view::npos;
  };
  mosquitto_lib_init();
  mosquitto* client = meross::bench::connect("mqtt_probe", host, port, &received);
  if (!client) return 2;
  const std::string filter = mode == "count" ? argv[4] : argv[5];
  if (!meross::bench::subscribe(client, received, filter)) {
    std::fprintf(stderr, "mqtt_probe: no SUBACK\n");
    return 2;
  }

  if (mode == "count") {
    const auto deadline = Clock::now() + std::chrono::seconds(std::atoi(argv[5]));
    std::unique_lock lock(received.mutex);
    while (Clock::now() < deadline) {
      received.changed.wait_for(lock, std::chrono::milliseconds(200));
      if (restart.exchange(false)) received.count = 0;
      if (received.count > 0 && Clock::now() - received.last > std::chrono::seconds(3)) break;
    }
    const double seconds = received.count > 1 ? seconds_between(received.first, received.last) : 0;
    std::printf("count=%llu seconds=%.3f rate=%.1f\n",
                static_cast<unsigned long long>(received.count), seconds,
                seconds > 0 ? static_cast<double>(received.count - 1) / seconds : 0.0);
  } else {
    const std::string command_topic = argv[4];
    const int samples = std::max(1, std::atoi(argv[6]));
    std::vector<double> micros;
    int timeouts = 0;
    for (int i = 0; i < samples; ++i) {
      const double us = meross::bench::round_trip(client, received, command_topic, i % 2 == 0,
                                                  std::chrono::seconds(2));
      if (us >= 0) {
        micros.push_back(us);
      } else {
        ++timeouts;
      }
    }
    std::printf("samples=%zu timeouts=%d p50_us=%.0f p99_us=%.0f\n", micros.size(), timeouts,
                meross::bench::percentile(micros, 0.50), meross::bench::percentile(micros, 0.99));
  }
  meross::bench::close(client);
  mosquitto_lib_cleanup();
  return 0;
}
