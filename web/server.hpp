#pragma once

// The web page's HTTP server: Boost.Beast on its own thread and its own io_context. It never
// touches the daemon's state: it serves the snapshots the daemon hands it (publish()), and passes
// actions on through the `reread` callback (which queues them for the daemon's thread).
//
// Bounded: at most max_connections at once (more get 503), request headers of 8 KiB and bodies
// of 8 KiB (431 / 413), a request must arrive within request_timeout (else the connection is
// closed), an event stream that cannot take an event within that time is closed. Every refusal
// is counted (rejected()) and logged on a bounded budget.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "web/routes.hpp"

namespace meross::web {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (tests), see port()
  Access access;
  std::size_t max_connections = 32;
  std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
  // An event stream gets a comment line this often, so that proxies keep it open.
  std::chrono::milliseconds keepalive = std::chrono::seconds(25);
  // Routes::add_devices; called on the server's thread, must be thread-safe and quick.
  std::function<Response(const Request&, std::string_view path)> add_devices = {};
};

class Server {
 public:
  // `reread` is called on the server's thread; it must be thread-safe and quick.
  Server(ServerOptions options, std::function<bool(const std::string& uuid)> reread);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The device page's routes (routes.hpp PageRoutes); before start(). Their functions are called
  // on the server's thread: thread-safe and quick.
  void set_pages(PageRoutes pages);

  // Binds and starts the thread; an error message when the address cannot be used.
  std::optional<std::string> start();
  void stop();

  // The latest snapshots (JSON), from any thread; event streams get `event` soon after.
  void publish(std::shared_ptr<const std::string> devices,
               std::shared_ptr<const std::string> bridge, std::shared_ptr<const std::string> event);

  std::uint16_t port() const { return port_; }
  // Event streams open now: someone is watching the page.
  std::size_t watchers() const { return watchers_.load(); }
  // Requests refused (4xx, 5xx) since the start.
  std::uint64_t rejected() const { return rejected_.load(); }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> watchers_{0};
  std::atomic<std::uint64_t> rejected_{0};
};

}  // namespace meross::web
