#include "web/pair_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace meross::web {
namespace {

constexpr std::size_t kLineLimit = 400;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

struct Pipe {
  Fd read;
  Fd write;
};

bool make_pipe(Pipe& p) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  p.read.reset(fds[0]);
  p.write.reset(fds[1]);
  return true;
}

// Writes all of `text`; a child that exits without reading it is not an error here.
void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Splits what stderr gave into lines for `line`; a line longer than kLineLimit is cut.
void take_lines(std::string& pending, const std::function<void(std::string_view)>& line) {
  std::size_t end = 0;
  while ((end = pending.find('\n')) != std::string::npos) {
    if (line) line(std::string_view(pending).substr(0, std::min(end, kLineLimit)));
    pending.erase(0, end + 1);
  }
  if (pending.size() > kLineLimit) {
    if (line) line(std::string_view(pending).substr(0, kLineLimit));
    pending.clear();
  }
}

// The child's environment: only what a program needs to find its files, certificates and proxy.
// The daemon's own (the add-on's Supervisor token, say) is none of its business.
std::vector<std::string> child_environment() {
  static constexpr std::string_view kKept[] = {
      "PATH",          "HOME",         "LANG",           "LC_ALL",     "TZ",
      "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "http_proxy", "https_proxy",
      "no_proxy",      "HTTP_PROXY",   "HTTPS_PROXY",    "NO_PROXY"};
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (std::find(std::begin(kKept), std::end(kKept), name) != std::end(kKept)) {
      out.emplace_back(entry);
    }
  }
  return out;
}

}  // namespace

ChildOutcome run_child(const std::vector<std::string>& argv, const std::string& stdin_text,
                       const std::function<void(std::string_view line)>& line,
                       const std::atomic<bool>& stop, std::chrono::seconds limit) {
  ChildOutcome outcome;
  Pipe in, out, err;
  if (argv.empty() || !make_pipe(in) || !make_pipe(out) || !make_pipe(err)) {
    outcome.problem = "cannot create the pipes for the child";
    return outcome;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);
  // The daemon's sockets and files are not the child's business, CLOEXEC or not. (musl, the
  // add-on's libc, lacks this call: there the child inherits what is not CLOEXEC, which is only
  // ever our own program for the length of a step.)
#ifdef __GLIBC__
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A child that exits before reading its stdin must not end the daemon with SIGPIPE: blocked on
  // this (worker) thread, the write fails with EPIPE instead. The child starts with no signal
  // blocked and SIGPIPE at its default.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &pipe_only);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  auto environment = child_environment();
  std::vector<char*> env;
  for (auto& entry : environment)
    env.push_back(entry.data());
  env.push_back(nullptr);
  const int spawned = ::posix_spawn(&pid, args[0], &actions, &attributes, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    outcome.problem = "cannot run " + argv[0] + ": " + std::strerror(spawned);
    return outcome;
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();
  write_all(in.write.get(), stdin_text);
  in.write.reset();

  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string pending;
  bool out_open = true, err_open = true;
  std::array<char, 4096> buffer{};
  while (out_open || err_open) {
    if (stop.load() || std::chrono::steady_clock::now() >= deadline) {
      outcome.problem = stop.load() ? "stopped" : "took too long: stopped";
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? out.read.get() : -1, POLLIN, 0},
                     {err_open ? err.read.get() : -1, POLLIN, 0}};
    if (::poll(fds, 2, 100) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      if (i == 0) {
        const auto room = kChildOutputLimit - std::min(kChildOutputLimit, outcome.out.size());
        outcome.out.append(buffer.data(), std::min(room, static_cast<std::size_t>(n)));
      } else {
        pending.append(buffer.data(), static_cast<std::size_t>(n));
        take_lines(pending, line);
      }
    }
  }
  if (!pending.empty() && line) line(std::string_view(pending).substr(0, kLineLimit));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (outcome.problem.empty() && WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (outcome.problem.empty() && WIFSIGNALED(status)) {
    outcome.problem = "ended by signal " + std::to_string(WTERMSIG(status));
  }
  return outcome;
}

}  // namespace meross::web
