#pragma once

// A real mosquitto broker for end-to-end tests, started by the test itself on a free loopback
// port and stopped when the object dies. Only ever listens on 127.0.0.1.

#include <sys/types.h>
#include <string>

namespace meross::test {

class MosquittoBroker {
 public:
  struct Options {
    std::string extra_config;  // appended to the generated mosquitto.conf
    bool verbose = false;      // keep mosquitto's log on stderr
    // Prepended: options that must come before the first listener (per_listener_settings).
    std::string head_config{};
    // Run this configuration file as it is instead of a generated one (e.g. what
    // `meross-bridge broker-config` wrote); `config_port` is a listener in it to wait for.
    std::string config_file{};
    int config_port = 0;
  };

  MosquittoBroker() : MosquittoBroker(Options{}) {}
  explicit MosquittoBroker(Options options);
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  int port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }  // scratch directory holding the config

  // Stops the broker (SIGTERM, then SIGKILL after 5 s); start() brings it back on the same port.
  void stop();
  // Kills the broker with SIGKILL (a crash: no goodbye to any client); start() brings it back.
  void kill();
  void start();
  bool running() const { return pid_ > 0; }
  // Suspends the broker (SIGSTOP): its connections stay open but nothing is read or answered, as
  // when a broker or the network hangs. thaw() resumes it; kill() ends it all the same.
  void freeze();
  void thaw();

 private:
  Options options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_loopback_port();
// Whether something accepts TCP connections on 127.0.0.1:port.
bool loopback_port_open(int port);

}  // namespace meross::test
