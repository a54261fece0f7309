#include "web/server.hpp"

#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "bridge/logging.hpp"
#include "bridge/rate_limited_log.hpp"

namespace meross::web {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;
// Enough for the add-devices forms (a sign-in, a list of addresses to move).
constexpr std::size_t kBodyLimit = 8 * 1024;
// Lines about refused requests: one per status a minute, 20 a minute in all.
constexpr std::size_t kLogBudget = 20;

class Session;

// What a connection beyond max_connections gets, written once without waiting for the client.
std::string busy_response() {
  http::response<http::string_body> r{http::status::service_unavailable, 11};
  r.set(http::field::content_type, "text/plain; charset=utf-8");
  r.set(http::field::retry_after, "5");
  r.keep_alive(false);
  r.body() = "too many connections\n";
  r.prepare_payload();
  std::ostringstream out;
  out << r;
  return out.str();
}

}  // namespace

struct Server::Impl {
  Impl(Server& o, ServerOptions opts, std::function<bool(const std::string&)> rr)
      : owner(o), options(std::move(opts)), reread(std::move(rr)) {}

  void accept();
  void broadcast();
  void refuse_busy(tcp::socket socket);
  // Counts a refused request and logs it on the budget; `what` is ours, never the client's text
  // beyond a bounded, printable excerpt.
  void note(int status, const std::string& what, const std::string& remote);
  Routes routes() {
    std::lock_guard lock(mutex);
    return Routes{devices, bridge, reread, pages, options.add_devices};
  }
  void watching(bool more) {
    if (more) {
      ++owner.watchers_;
    } else {
      --owner.watchers_;
    }
  }
  std::shared_ptr<const std::string> latest_event() {
    std::lock_guard lock(mutex);
    return event;
  }

  Server& owner;
  ServerOptions options;
  std::function<bool(const std::string&)> reread;
  std::shared_ptr<const PageRoutes> pages;  // set before the thread starts
  std::mutex mutex;                         // the three snapshots, written by the daemon's thread
  std::shared_ptr<const std::string> devices;
  std::shared_ptr<const std::string> bridge;
  std::shared_ptr<const std::string> event;
  // The rest belongs to the server's thread.
  std::size_t connections = 0;
  std::vector<std::weak_ptr<Session>> streams;
  bridge::RateLimitedLog limiter{std::chrono::minutes(1), kLogBudget};
  // Declared after what sessions touch when they go (destroyed first), before what uses it.
  net::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> retry;
  std::thread thread;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& impl)
      : stream_(std::move(socket)), impl_(impl), ping_(stream_.get_executor()) {
    ++impl_.connections;
    beast::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? std::string("?") : peer.address().to_string();
  }
  ~Session() { --impl_.connections; }

  void start() { read(); }

  // A new snapshot for an event stream: only the latest waits, a slow page skips the others.
  void push(std::shared_ptr<const std::string> event) {
    pending_ = std::move(event);
    next();
  }

  void stop_stream();

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(impl_.options.request_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) return fail(413, "request body too large");
    if (ec == http::error::header_limit) return fail(431, "request header too large");
    if (ec) {
      // An idle keep-alive connection that ends or times out is normal; a request cut short or
      // unparseable is not.
      if (!parser_->got_some() || ec == http::error::end_of_stream) return close();
      if (ec == beast::error::timeout) {
        impl_.note(408, "request not received in time", remote_);
        return close();
      }
      if (ec.category() == beast::http::make_error_code(http::error::bad_target).category()) {
        return fail(400, "malformed request");
      }
      return close();
    }
    handle(parser_->release());
  }

  void handle(const http::request<http::string_body>& req) {
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.remote = remote_;
    request.action_header = req.find(boost::beast::string_view(kActionHeader.data(),
                                                               kActionHeader.size())) != req.end();
    request.body = req.body();
    Response response;
    try {
      response = route(request, impl_.options.access, impl_.routes());
    } catch (const std::exception& e) {
      spdlog::error("web: a request could not be handled: {}", e.what());
      response = error(500, "internal error");
    }
    if (response.status >= 400) {
      impl_.note(response.status,
                 request.method.substr(0, 8) + " " + bridge::printable(request.target, 64) + ": " +
                     response.body.substr(0, response.body.size() - 1),
                 remote_);
    }
    if (response.events) return start_events(req.version());
    send(std::move(response), req.version(), req.keep_alive() && response.status < 400);
  }

  void fail(int status, const std::string& message) {
    impl_.note(status, message, remote_);
    send(error(status, message), 11, false);
  }

  void send(Response response, unsigned version, bool keep_alive) {
    auto msg = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    msg->set(http::field::server, "meross-bridge");
    msg->set(http::field::content_type, response.content_type);
    msg->set("X-Content-Type-Options", "nosniff");
    msg->set("Referrer-Policy", "no-referrer");
    for (const auto& [name, value] : response.headers)
      msg->set(name, value);
    msg->keep_alive(keep_alive);
    msg->body() = std::move(response.body);
    msg->prepare_payload();
    stream_.expires_after(impl_.options.request_timeout);
    http::async_write(
        stream_, *msg,
        [self = shared_from_this(), msg, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->close();
          self->read();
        });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  void start_events(unsigned version) {
    streaming_ = true;
    impl_.streams.push_back(weak_from_this());
    impl_.watching(true);
    header_.emplace(http::status::ok, version);
    header_->set(http::field::server, "meross-bridge");
    header_->set(http::field::content_type, "text/event-stream");
    header_->set(http::field::cache_control, "no-store");
    header_->set("X-Accel-Buffering", "no");
    header_->keep_alive(true);
    serializer_.emplace(*header_);
    pending_ = impl_.latest_event();
    writing_ = true;
    stream_.expires_after(impl_.options.request_timeout);
    http::async_write_header(stream_, *serializer_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               self->writing_ = false;
                               if (ec) return self->stop_stream();
                               self->stream_.expires_never();
                               self->watch_close();
                               self->schedule_ping();
                               self->next();
                             });
  }

  // The page never writes on an event stream: a read ends when it goes away.
  void watch_close() {
    stream_.async_read_some(net::buffer(sink_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->stop_stream();
                              self->watch_close();
                            });
  }

  void schedule_ping() {
    ping_.expires_after(impl_.options.keepalive);
    ping_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->stopped_) return;
      self->ping_due_ = true;
      self->next();
      self->schedule_ping();
    });
  }

  void next() {
    if (!streaming_ || writing_ || stopped_) return;
    if (pending_) {
      out_ = "data: " + *pending_ + "\n\n";
      pending_.reset();
    } else if (ping_due_) {
      out_ = ": keepalive\n\n";
    } else {
      return;
    }
    ping_due_ = false;
    writing_ = true;
    stream_.expires_after(impl_.options.request_timeout);
    net::async_write(stream_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->writing_ = false;
                       if (ec) return self->stop_stream();
                       self->stream_.expires_never();
                       self->next();
                     });
  }

  beast::tcp_stream stream_;
  Server::Impl& impl_;
  net::steady_timer ping_;
  std::string remote_;
  beast::flat_buffer buffer_{kHeaderLimit + kBodyLimit};
  std::optional<http::request_parser<http::string_body>> parser_;
  // The event stream.
  bool streaming_ = false;
  bool writing_ = false;
  bool stopped_ = false;
  bool ping_due_ = false;
  std::optional<http::response<http::empty_body>> header_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  std::shared_ptr<const std::string> pending_;
  std::string out_;
  std::array<char, 256> sink_{};
};

void Session::stop_stream() {
  if (stopped_) return;
  stopped_ = true;
  if (streaming_) impl_.watching(false);
  ping_.cancel();
  stream_.close();
}

}  // namespace

void Server::Impl::accept() {
  acceptor->async_accept(ioc, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors, most likely: try again shortly rather than spin.
      note(503, "cannot accept a connection: " + ec.message(), "?");
      retry.emplace(ioc);
      retry->expires_after(std::chrono::milliseconds(200));
      retry->async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    if (connections >= options.max_connections) {
      refuse_busy(std::move(socket));
    } else {
      std::make_shared<Session>(std::move(socket), *this)->start();
    }
    accept();
  });
}

void Server::Impl::refuse_busy(tcp::socket socket) {
  static const std::string response = busy_response();
  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  note(503, "too many connections (" + std::to_string(options.max_connections) + ")",
       ec ? std::string("?") : peer.address().to_string());
  socket.non_blocking(true, ec);
  socket.write_some(net::buffer(response), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

void Server::Impl::broadcast() {
  const auto latest = latest_event();
  std::erase_if(streams, [](const auto& s) { return s.expired(); });
  for (const auto& weak : streams) {
    if (auto s = weak.lock()) s->push(latest);
  }
}

void Server::Impl::note(int status, const std::string& what, const std::string& remote) {
  ++owner.rejected_;
  const auto held = limiter.allow(std::to_string(status), std::chrono::steady_clock::now());
  if (!held) return;
  spdlog::warn("web: {} to {}: {}{}", status, remote, what,
               *held ? " (" + std::to_string(*held) + " more like this)" : std::string());
}

Server::Server(ServerOptions options, std::function<bool(const std::string&)> reread)
    : impl_(std::make_unique<Impl>(*this, std::move(options), std::move(reread))) {}

Server::~Server() {
  stop();
  // Sessions left in the io_context go with it and update the counters here: before those.
  impl_.reset();
}

void Server::set_pages(PageRoutes pages) {
  impl_->pages = std::make_shared<const PageRoutes>(std::move(pages));
}

std::optional<std::string> Server::start() {
  auto& i = *impl_;
  beast::error_code ec;
  const auto address = net::ip::make_address(i.options.host, ec);
  if (ec) return "not an IP address: " + i.options.host;
  const tcp::endpoint endpoint{address, i.options.port};
  const std::string where = (address.is_v6() ? "[" + i.options.host + "]" : i.options.host) + ":" +
                            std::to_string(i.options.port);
  i.acceptor.emplace(i.ioc);
  i.acceptor->open(endpoint.protocol(), ec);
  if (!ec) i.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor->bind(endpoint, ec);
  if (!ec) i.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    i.acceptor.reset();
    return "cannot listen on " + where + ": " + ec.message();
  }
  port_ = i.acceptor->local_endpoint().port();
  i.accept();
  i.thread = std::thread([&i] {
    // A handler that throws must not take the daemon with it.
    while (true) {
      try {
        i.ioc.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("web: {}", e.what());
      }
    }
  });
  return std::nullopt;
}

void Server::stop() {
  if (!impl_) return;
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Server::publish(std::shared_ptr<const std::string> devices,
                     std::shared_ptr<const std::string> bridge,
                     std::shared_ptr<const std::string> event) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->devices = std::move(devices);
    impl_->bridge = std::move(bridge);
    impl_->event = std::move(event);
  }
  net::post(impl_->ioc, [impl = impl_.get()] { impl->broadcast(); });
}

}  // namespace meross::web
