#include "simulator/http_server.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace meross::sim {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Firmware answers within a second; a client that sends nothing for this long is gone.
constexpr auto kIdleTimeout = std::chrono::seconds(10);
// Meross messages are a few KB; anything much larger is not a request to a plug.
constexpr std::uint64_t kMaxBody = 64 * 1024;

}  // namespace

struct HttpServer::Impl {
  net::io_context ioc{1};
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<int> ports;
  int event_fd = -1;
  std::mutex mutex;
  std::vector<Request> queue;  // guarded by mutex
  std::thread thread;

  void accept(std::size_t device);
  void enqueue(Request request) {
    {
      const std::lock_guard lock(mutex);
      queue.push_back(std::move(request));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(event_fd, &one, sizeof one);
  }
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server, std::size_t device)
      : stream_(std::move(socket)), server_(server), device_(device) {}

  void start() {
    parser_.body_limit(kMaxBody);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->on_request();
                     });
  }

 private:
  void on_request() {
    const auto& request = parser_.get();
    if (request.target() != "/config") return reply(http::status::not_found, "not found\n");
    if (request.method() != http::verb::post) {
      return reply(http::status::method_not_allowed, "POST only\n");
    }
    server_.enqueue(HttpServer::Request{
        device_, request.body(), [self = shared_from_this()](std::optional<std::string> body) {
          // Called on the fleet's thread: the socket is touched on ours only.
          net::post(self->stream_.get_executor(), [self, body = std::move(body)]() mutable {
            if (body) {
              self->reply(http::status::ok, std::move(*body));
            } else {
              beast::error_code ignored;
              self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
              self->stream_.close();
            }
          });
        }});
  }

  void reply(http::status status, std::string body) {
    response_.result(status);
    response_.version(parser_.get().version());
    const bool json = !body.empty() && body.front() == '{';
    response_.set(http::field::content_type, json ? "application/json" : "text/plain");
    response_.keep_alive(false);
    response_.body() = std::move(body);
    response_.prepare_payload();
    stream_.expires_after(kIdleTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> response_;
  HttpServer::Impl& server_;
  std::size_t device_;
};

}  // namespace

void HttpServer::Impl::accept(std::size_t device) {
  acceptors[device]->async_accept([this, device](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(socket), *this, device)->start();
    }
    accept(device);
  });
}

HttpServer::HttpServer(const std::vector<int>& ports) : impl_(std::make_unique<Impl>()) {
  impl_->event_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->event_fd < 0) throw std::runtime_error("eventfd failed");
  const auto loopback = net::ip::make_address_v4("127.0.0.1");
  for (std::size_t i = 0; i < ports.size(); ++i) {
    auto acceptor = std::make_unique<tcp::acceptor>(impl_->ioc);
    beast::error_code ec;
    const tcp::endpoint endpoint(loopback, static_cast<unsigned short>(ports[i]));
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen for HTTP on 127.0.0.1:" + std::to_string(ports[i]) +
                               ": " + ec.message());
    }
    impl_->ports.push_back(acceptor->local_endpoint().port());
    impl_->acceptors.push_back(std::move(acceptor));
  }
  for (std::size_t i = 0; i < impl_->acceptors.size(); ++i)
    impl_->accept(i);
  impl_->thread = std::thread([this] {
    try {
      impl_->ioc.run();
    } catch (const std::exception& e) {
      spdlog::error("HTTP server stopped: {}", e.what());
    }
  });
}

HttpServer::~HttpServer() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  // Unanswered requests hold sessions, whose sockets belong to the io_context: release them
  // while it still exists.
  impl_->queue.clear();
  impl_->acceptors.clear();
  ::close(impl_->event_fd);
}

int HttpServer::port(std::size_t device) const {
  return impl_->ports.at(device);
}

int HttpServer::wake_fd() const {
  return impl_->event_fd;
}

std::vector<HttpServer::Request> HttpServer::take() {
  std::uint64_t count = 0;
  [[maybe_unused]] const auto n = ::read(impl_->event_fd, &count, sizeof count);
  const std::lock_guard lock(impl_->mutex);
  return std::exchange(impl_->queue, {});
}

}  // namespace meross::sim
