// The web server's decisions without a socket: access (ingress-only, password), routes, 4xx.
#include <boost/test/unit_test.hpp>

#include <boost/beast/core/detail/base64.hpp>

#include "web/routes.hpp"

using namespace meross::web;

namespace {

std::string basic(const std::string& user_password) {
  namespace base64 = boost::beast::detail::base64;
  std::string out(base64::encoded_size(user_password.size()), '\0');
  out.resize(base64::encode(out.data(), user_password.data(), user_password.size()));
  return "Basic " + out;
}

Request get(const std::string& target, const std::string& remote = "127.0.0.1") {
  Request r;
  r.method = "GET";
  r.target = target;
  r.remote = remote;
  return r;
}

struct Fixture {
  Access access;
  std::vector<std::string> reread;
  Routes routes{std::make_shared<const std::string>("[{\"uuid\":\"x\"}]"),
                std::make_shared<const std::string>("{\"version\":\"1\"}"),
                [this](const std::string& uuid) {
                  reread.push_back(uuid);
                  return uuid != "00000000000000000000000000000000";
                }};
  Response operator()(const Request& r) const { return route(r, access, routes); }
};

std::string header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(routes)

BOOST_AUTO_TEST_CASE(the_page_its_assets_and_the_api_are_served) {
  Fixture f;
  const auto page = f(get("/"));
  BOOST_TEST(page.status == 200);
  BOOST_TEST(page.content_type.starts_with("text/html"));
  BOOST_TEST(page.body.find("<table id=\"devices\"") != std::string::npos);
  // Relative URLs only: under ingress the page lives below a prefix of its own.
  BOOST_TEST(page.body.find("src=\"/") == std::string::npos);
  BOOST_TEST(page.body.find("href=\"/") == std::string::npos);
  BOOST_TEST(f(get("/index.html")).body == page.body);
  BOOST_TEST(f(get("/app.js")).content_type.starts_with("text/javascript"));
  BOOST_TEST(f(get("/style.css")).content_type.starts_with("text/css"));

  const auto devices = f(get("/api/devices?fresh=1"));
  BOOST_TEST(devices.status == 200);
  BOOST_TEST(devices.content_type == "application/json");
  BOOST_TEST(devices.body == "[{\"uuid\":\"x\"}]");
  BOOST_TEST(f(get("/api/bridge")).body == "{\"version\":\"1\"}");
  BOOST_TEST(f(get("/api/events")).events);
}

BOOST_AUTO_TEST_CASE(the_page_makes_no_absolute_url) {
  Fixture f;
  const auto js = f(get("/app.js")).body;
  for (const char* absolute : {"\"/api", "'/api", "`/api", "http://", "https://"}) {
    BOOST_TEST(js.find(absolute) == std::string::npos, absolute);
  }
}

BOOST_AUTO_TEST_CASE(unknown_paths_and_wrong_methods_get_4xx) {
  Fixture f;
  BOOST_TEST(f(get("/nothing")).status == 404);
  BOOST_TEST(f(get("/../etc/passwd")).status == 404);
  BOOST_TEST(f(get("/api/devices/")).status == 404);
  BOOST_TEST(f(get("")).status == 400);
  BOOST_TEST(f(get("*")).status == 400);
  BOOST_TEST(f(get("http://example.com/")).status == 400);

  auto post = get("/api/devices");
  post.method = "POST";
  const auto r = f(post);
  BOOST_TEST(r.status == 405);
  BOOST_TEST(header(r, "Allow") == "GET");
  post.target = "/";
  BOOST_TEST(f(post).status == 405);
  post.method = "DELETE";
  post.target = "/api/events";
  BOOST_TEST(f(post).status == 405);
  BOOST_TEST(!f(post).body.empty());
}

BOOST_AUTO_TEST_CASE(reread_is_a_post_with_the_action_header_for_a_known_device) {
  Fixture f;
  const std::string uuid = "0123456789abcdef0123456789abcdef";
  auto r = get("/api/devices/" + uuid + "/reread");
  BOOST_TEST(f(r).status == 405);  // GET
  r.method = "POST";
  BOOST_TEST(f(r).status == 403);  // what a form of another site could send
  r.action_header = true;
  BOOST_TEST(f(r).status == 202);
  BOOST_TEST(f.reread == std::vector<std::string>{uuid});

  r.target = "/api/devices/00000000000000000000000000000000/reread";
  BOOST_TEST(f(r).status == 404);
  f.reread.clear();
  for (const char* bad : {"/api/devices/short/reread", "/api/devices/%2e%2e/reread",
                          "/api/devices/0123456789abcdef0123456789abcde!/reread"}) {
    r.target = bad;
    BOOST_TEST(f(r).status == 400, bad);
  }
  BOOST_TEST(f.reread.empty());
}

BOOST_AUTO_TEST_CASE(ingress_only_admits_the_gateway_and_loopback) {
  Fixture f;
  f.access.ingress_only = true;
  for (const char* ok : {"172.30.32.2", "::ffff:172.30.32.2", "127.0.0.1", "127.1.2.3", "::1"}) {
    BOOST_TEST(f(get("/", ok)).status == 200, ok);
  }
  for (const char* refused : {"172.30.32.3", "192.168.1.10", "::ffff:10.0.0.1", "fe80::1", "?"}) {
    const auto r = f(get("/api/devices", refused));
    BOOST_TEST(r.status == 403, refused);
    BOOST_TEST(r.body.find("[") == std::string::npos);
  }
  f.access.ingress_only = false;
  BOOST_TEST(f(get("/", "192.168.1.10")).status == 200);
}

BOOST_AUTO_TEST_CASE(a_password_is_asked_for_with_basic_auth) {
  Fixture f;
  f.access.password = "web-pass-93";
  auto r = get("/api/devices");
  const auto refused = f(r);
  BOOST_TEST(refused.status == 401);
  BOOST_TEST(header(refused, "WWW-Authenticate").starts_with("Basic realm="));
  BOOST_TEST(refused.body.find("web-pass-93") == std::string::npos);
  for (const auto& wrong : {basic("admin:web-pass-9"), basic("admin:web-pass-934"),
                            basic("web-pass-93"), std::string("Bearer web-pass-93"),
                            std::string("Basic !!!not-base64"), std::string("Basic ")}) {
    r.authorization = wrong;
    BOOST_TEST(f(r).status == 401, wrong);
  }
  r.authorization = basic("anyone:web-pass-93");
  BOOST_TEST(f(r).status == 200);
  r.authorization = "basic " + basic(":web-pass-93").substr(6);
  BOOST_TEST(f(r).status == 200);
  BOOST_TEST(password_ok(basic("u:p:with:colons"), "p:with:colons"));
}

BOOST_AUTO_TEST_SUITE_END()
