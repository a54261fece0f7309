// The web server on a loopback socket: answers, event streams, and bad input (malformed
// requests, oversized headers and bodies, slow clients, too many connections), after which it
// still serves.
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include "support/wait.hpp"
#include "web/server.hpp"

using namespace meross::web;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// A blocking client socket whose reads give up after a while (a broken server fails the test
// rather than hang it).
struct Client {
  net::io_context ioc;
  tcp::socket socket{ioc};

  explicit Client(std::uint16_t port) {
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval tv{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send(const std::string& text) { net::write(socket, net::buffer(text)); }
  // Reads until `needle` is in what came, or the connection ends.
  std::string read_until(const std::string& needle) {
    std::string got;
    std::array<char, 4096> buf{};
    while (got.find(needle) == std::string::npos) {
      const auto n = ::recv(socket.native_handle(), buf.data(), buf.size(), 0);
      if (n <= 0) break;
      got.append(buf.data(), static_cast<std::size_t>(n));
    }
    return got;
  }
  std::string read_all() { return read_until("\x01never\x02"); }
};

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

struct Running {
  std::vector<std::string> reread;
  std::mutex mutex;
  Server server;

  explicit Running(ServerOptions options = {})
      : server(std::move(options), [this](const std::string& uuid) {
          std::lock_guard lock(mutex);
          reread.push_back(uuid);
          return true;
        }) {
    BOOST_REQUIRE(!server.start());
    publish("[1]", "{\"v\":1}");
  }
  void publish(const std::string& devices, const std::string& bridge) {
    server.publish(std::make_shared<const std::string>(devices),
                   std::make_shared<const std::string>(bridge),
                   std::make_shared<const std::string>("{\"devices\":" + devices +
                                                       ",\"bridge\":" + bridge + "}"));
  }
  std::string get(const std::string& target) {
    Client c(server.port());
    c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return c.read_all();
  }
  // The server still answers.
  bool healthy() { return status_line(get("/api/bridge")) == "HTTP/1.1 200 OK"; }
};

ServerOptions small(std::size_t max_connections = 32) {
  ServerOptions o;
  o.max_connections = max_connections;
  o.request_timeout = std::chrono::milliseconds(500);
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server)

BOOST_AUTO_TEST_CASE(serves_the_snapshots_and_the_page) {
  Running r;
  const auto devices = r.get("/api/devices");
  BOOST_TEST(status_line(devices) == "HTTP/1.1 200 OK");
  BOOST_TEST(devices.ends_with("\r\n\r\n[1]"));
  BOOST_TEST(devices.find("X-Content-Type-Options: nosniff") != std::string::npos);
  BOOST_TEST(r.get("/").find("<table id=\"devices\"") != std::string::npos);

  Client c(r.server.port());
  c.send(
      "POST /api/devices/0123456789abcdef0123456789abcdef/reread HTTP/1.1\r\nHost: x\r\n"
      "X-Meross-Web: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  BOOST_TEST(status_line(c.read_all()) == "HTTP/1.1 202 Accepted");
  std::lock_guard lock(r.mutex);
  BOOST_TEST(r.reread == std::vector<std::string>{"0123456789abcdef0123456789abcdef"});
}

BOOST_AUTO_TEST_CASE(an_event_stream_gets_the_latest_snapshot_and_every_change) {
  Running r;
  Client c(r.server.port());
  c.send("GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto first = c.read_until("data: {\"devices\":[1],\"bridge\":{\"v\":1}}\n\n");
  BOOST_TEST(first.find("Content-Type: text/event-stream") != std::string::npos);
  BOOST_TEST(first.ends_with("data: {\"devices\":[1],\"bridge\":{\"v\":1}}\n\n"));
  BOOST_TEST(meross::test::poll_until([&] { return r.server.watchers() == 1u; },
                                      std::chrono::seconds(10)));
  r.publish("[2]", "{\"v\":2}");
  BOOST_TEST(c.read_until("\n\n").find("data: {\"devices\":[2],\"bridge\":{\"v\":2}}") !=
             std::string::npos);
  c.socket.close();
  BOOST_TEST(meross::test::poll_until([&] { return r.server.watchers() == 0u; },
                                      std::chrono::seconds(10)));
  BOOST_TEST(r.healthy());
}

BOOST_AUTO_TEST_CASE(malformed_requests_get_400) {
  Running r(small());
  for (const char* bad :
       {"HELLO\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    Client c(r.server.port());
    c.send(bad);
    BOOST_TEST(status_line(c.read_all()).starts_with("HTTP/1.1 400"), bad);
  }
  BOOST_TEST(r.server.rejected() >= 5u);
  BOOST_TEST(r.healthy());
}

BOOST_AUTO_TEST_CASE(oversized_headers_and_bodies_are_refused) {
  Running r(small());
  {
    Client c(r.server.port());
    c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'a') + "\r\n\r\n");
    BOOST_TEST(status_line(c.read_all()).starts_with("HTTP/1.1 431"));
  }
  {
    Client c(r.server.port());
    c.send(
        "POST /api/devices/0123456789abcdef0123456789abcdef/reread HTTP/1.1\r\nHost: x\r\n"
        "X-Meross-Web: 1\r\nContent-Length: 100000\r\n\r\n" +
        std::string(4096, 'b'));
    BOOST_TEST(status_line(c.read_all()).starts_with("HTTP/1.1 413"));
  }
  BOOST_TEST(r.reread.empty());
  BOOST_TEST(r.healthy());
}

BOOST_AUTO_TEST_CASE(a_slow_client_is_dropped) {
  Running r(small());
  Client c(r.server.port());
  c.send("GET /api/devices HTTP/1.1\r\nHo");
  // The rest never comes: the server closes the connection without an answer.
  BOOST_TEST(c.read_all().empty());
  BOOST_TEST(r.healthy());
}

BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_get_503) {
  auto options = small(2);
  options.request_timeout = std::chrono::seconds(10);  // the two stay open meanwhile
  Running r(options);
  std::vector<std::unique_ptr<Client>> open;
  for (int i = 0; i < 2; ++i) {
    open.push_back(std::make_unique<Client>(r.server.port()));
    open.back()->send("GET /api/bridge HTTP/1.1\r\nHost: x\r\n\r\n");  // kept alive
    BOOST_TEST(open.back()->read_until("{\"v\":1}").find("200 OK") != std::string::npos);
  }
  Client third(r.server.port());
  BOOST_TEST(status_line(third.read_all()).starts_with("HTTP/1.1 503"));
  open.clear();
  BOOST_TEST(meross::test::poll_until([&] { return r.healthy(); }, std::chrono::seconds(10)));
}

BOOST_AUTO_TEST_CASE(a_used_address_is_reported) {
  Running r;
  ServerOptions o;
  o.port = r.server.port();
  Server second(o, [](const std::string&) { return false; });
  const auto error = second.start();
  BOOST_REQUIRE(error.has_value());
  BOOST_TEST(error->find("cannot listen on 127.0.0.1:") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
