#pragma once

// The simulated devices' local HTTP API: POST /config on 127.0.0.1, one port per device
// (meross-protocol.md §6.1). Boost.Beast on a thread of its own; the fleet's loop thread takes the
// requests (wake_fd() turns readable) and answers them, so every device stays single-threaded.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meross::sim {

class HttpServer {
 public:
  struct Request {
    std::size_t device = 0;
    std::string body;
    // Answers from any thread, exactly once: the response body, or nullopt to drop the
    // connection without an answer (what firmware does with a request it will not take).
    std::function<void(std::optional<std::string>)> respond;
  };

  // Listens on 127.0.0.1:ports[i] for device i; port 0 takes a free one. Throws
  // std::runtime_error naming the port when it cannot listen.
  explicit HttpServer(const std::vector<int>& ports);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port(std::size_t device) const;
  // An eventfd that is readable while requests wait; take() drains it.
  int wake_fd() const;
  std::vector<Request> take();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace meross::sim
