#pragma once

// Runs a program of ours (meross-sim, meross-bridge) as a child process in a test: feeds its
// stdin, collects its stdout and stderr, signals it and reaps it.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace meross::test {

class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv);
  ~ChildProcess();  // SIGTERM, then SIGKILL after 5 s
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void write_stdin(const std::string& text);
  void close_stdin();
  void signal(int sig);

  // Everything the child wrote to stdout and stderr so far (interleaved as it came).
  std::string output() const;
  // Waits until the output contains `needle`.
  bool wait_for_output(const std::string& needle,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Waits for the child to exit; its exit code (128 + signal if killed), or nullopt on timeout.
  // Once it returns a code, output() holds everything the child wrote (up to 2 s for the pipe
  // to drain if a grandchild still holds it open).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool running();

 private:
  void read_output();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int output_fd_ = -1;
  std::optional<int> exit_code_;
  std::thread reader_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string output_;
  bool output_closed_ = false;
};

}  // namespace meross::test
