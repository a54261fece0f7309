#pragma once

// The TCP and HTTP plumbing the pairing tests' fake servers (a Meross cloud region, a device's
// local API, hosts that are not devices) share: a listener on a 127.0.0.0/8 address whose one
// thread serves connections one at a time, and the reading of one HTTP request.

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace meross::test {

class LoopbackServer {
 public:
  // What becomes of a connection once it has been served.
  enum class After {
    Close,
    Hold,  // left open, unanswered, until the server dies (a host that never replies)
  };
  using Serve = std::function<After(int fd)>;

  // Listens on `address` (127.0.0.0/8 only) and `port` (0 = a free one; SO_REUSEADDR, so that
  // several servers share a port on different addresses); throws when it cannot. `serve` runs on
  // the server's thread, from now until the server dies: construct the server last.
  LoopbackServer(const std::string& address, int port, Serve serve);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  const std::string& address() const { return address_; }
  int port() const { return port_; }
  std::string host() const { return address_ + ":" + std::to_string(port_); }

 private:
  void run();

  std::string address_;
  int listen_fd_ = -1;
  int port_ = 0;
  Serve serve_;
  std::atomic<bool> stop_{false};
  std::vector<int> held_;
  std::thread thread_;
};

struct HttpRequest {
  std::string request_line;                    // "POST /config HTTP/1.1"
  std::map<std::string, std::string> headers;  // lowercase names, values without outer blanks
  std::string body;  // Content-Length bytes, or fewer when they did not come within the deadline
};

enum class ExpectContinue {
  Answer,  // "100 Continue" to an Expect header, as an HTTP/1.1 server does
  Ignore,  // as device firmware does: the client sends its body after its own wait
};

// Reads one request from `fd`, waiting up to 10 s for its headers and body. nullopt when the peer
// closed first or no complete header came.
std::optional<HttpRequest> read_http_request(int fd, ExpectContinue expect);
// Writes all of `data`; false when the peer went away.
bool send_all(int fd, std::string_view data);

}  // namespace meross::test
