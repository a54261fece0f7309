// The device page's routes without a socket: the page JSON of a known device only, rename
// validated before it reaches the daemon (4xx with a message), the log tail's level filter, and
// the CA download that only ever returns certificates.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include <spdlog/logger.h>

#include "support/temp_dir.hpp"
#include "web/log_tail.hpp"
#include "web/routes.hpp"

using namespace meross::web;

namespace {

constexpr const char* kPlug = "2301234567890abcdef0123456789abc";
constexpr const char* kOther = "00000000000000000000000000000000";

constexpr const char* kCertificate =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUX0+/abc=\n-----END CERTIFICATE-----";
constexpr const char* kPrivateKey =
    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
    "-----END PRIVATE KEY-----";

struct Fixture {
  Access access;
  std::vector<std::pair<std::string, std::string>> renamed;
  std::shared_ptr<const std::string> page;  // the plug's page, null: not built yet
  std::shared_ptr<LogTail> tail = std::make_shared<LogTail>();
  meross::test::TempDir dir{"meross-web-pages"};
  PageRoutes pages;

  Fixture() {
    pages.device = [this](const std::string& uuid) {
      return uuid == kPlug ? std::optional(page) : std::nullopt;
    };
    pages.rename = [this](const std::string& uuid, const std::string& name) {
      renamed.emplace_back(uuid, name);
      return uuid == kPlug;
    };
    pages.log = [this](int level) {
      return tail->json(static_cast<spdlog::level::level_enum>(level));
    };
  }

  Response operator()(const Request& r) const {
    Routes routes{nullptr, nullptr, nullptr, std::make_shared<const PageRoutes>(pages)};
    return route(r, access, routes);
  }

  std::string file(const std::string& name, const std::string& text) {
    const auto path = dir.path / name;
    std::ofstream(path) << text;
    return path.string();
  }
};

Request get(const std::string& target) {
  Request r;
  r.method = "GET";
  r.target = target;
  r.remote = "127.0.0.1";
  return r;
}

Request rename_request(const std::string& body, const std::string& uuid = kPlug) {
  Request r;
  r.method = "POST";
  r.target = "/api/devices/" + uuid + "/name";
  r.remote = "127.0.0.1";
  r.action_header = true;
  r.body = body;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(page_routes)

BOOST_AUTO_TEST_CASE(the_device_page_is_served_for_a_known_device_only) {
  Fixture f;
  // Not built yet: null, and the page asks again.
  auto r = f(get(std::string("/api/devices/") + kPlug));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "null");
  f.page = std::make_shared<const std::string>("{\"device\":{}}");
  r = f(get(std::string("/api/devices/") + kPlug));
  BOOST_TEST(r.body == "{\"device\":{}}");
  BOOST_TEST(r.content_type == "application/json");
  BOOST_TEST(f(get(std::string("/api/devices/") + kOther)).status == 404);
  BOOST_TEST(f(get("/api/devices/not-a-uuid")).status == 400);
  BOOST_TEST(f(get(std::string("/api/devices/") + kPlug + "/other")).status == 404);
  auto post = get(std::string("/api/devices/") + kPlug);
  post.method = "POST";
  BOOST_TEST(f(post).status == 405);
  // Without the page routes, none of them exists.
  Routes bare;
  BOOST_TEST(route(get(std::string("/api/devices/") + kPlug), f.access, bare).status == 404);
}

BOOST_AUTO_TEST_CASE(a_valid_name_is_queued_for_the_daemon) {
  Fixture f;
  const auto r = f(rename_request(R"({"name":"Kitchen kettle"})"));
  BOOST_TEST(r.status == 202);
  BOOST_REQUIRE(f.renamed.size() == 1u);
  BOOST_TEST(f.renamed[0].first == kPlug);
  BOOST_TEST(f.renamed[0].second == "Kitchen kettle");
  // UTF-8 is a name like any other.
  BOOST_TEST(f(rename_request(R"({"name":"Küche – Wasserkocher"})")).status == 202);
  BOOST_TEST(f(rename_request(R"({"name":"x"})", kOther)).status == 404);
}

BOOST_AUTO_TEST_CASE(bad_renames_get_4xx_with_a_message_and_never_reach_the_daemon) {
  Fixture f;
  const std::vector<std::string> bodies{
      "",
      "Kitchen",
      "{}",
      R"({"name":5})",
      R"(["name","x"])",
      R"({"name":""})",
      R"({"name":"   "})",
      "{\"name\":\"" + std::string(65, 'a') + "\"}",
      R"({"name":"line\nbreak"})",
      R"({"name":"bell\u0007"})",
      R"({"name":"del\u007f"})",
      R"({"name":"c1\u0085"})",
      "{\"name\":\"\xff\xfe\"}",
      "{\"name\":\"\xc3\"}",
  };
  for (const auto& body : bodies) {
    const auto r = f(rename_request(body));
    BOOST_TEST(r.status == 400, body);
    BOOST_TEST(r.body.size() > 1u);
  }
  auto no_header = rename_request(R"({"name":"ok"})");
  no_header.action_header = false;
  BOOST_TEST(f(no_header).status == 403);
  auto as_get = rename_request(R"({"name":"ok"})");
  as_get.method = "GET";
  BOOST_TEST(f(as_get).status == 405);
  BOOST_TEST(f(rename_request(R"({"name":"ok"})", "short")).status == 400);
  BOOST_TEST(f.renamed.empty());
}

BOOST_AUTO_TEST_CASE(the_log_tail_filters_by_level) {
  Fixture f;
  spdlog::logger logger("test", f.tail);
  logger.set_level(spdlog::level::trace);
  logger.debug("a debug line");
  logger.info("an info line");
  logger.warn("a warning line");
  logger.error("an error line");
  const auto all = f(get("/api/log")).body;
  for (const char* line : {"a debug line", "an info line", "a warning line", "an error line"})
    BOOST_TEST(all.find(line) != std::string::npos, line);
  const auto warnings = f(get("/api/log?level=warning"));
  BOOST_TEST(warnings.status == 200);
  BOOST_TEST(warnings.body.find("an info line") == std::string::npos);
  BOOST_TEST(warnings.body.find("a debug line") == std::string::npos);
  BOOST_TEST(warnings.body.find("\"level\":\"warning\",\"text\":\"a warning line\"") !=
             std::string::npos);
  BOOST_TEST(warnings.body.find("an error line") != std::string::npos);
  const auto errors = f(get("/api/log?x=1&level=error")).body;
  BOOST_TEST(errors.find("a warning line") == std::string::npos);
  BOOST_TEST(errors.find("an error line") != std::string::npos);
  BOOST_TEST(f(get("/api/log?level=loud")).status == 400);
  BOOST_TEST(f(get("/api/log?level=off")).status == 400);
}

BOOST_AUTO_TEST_CASE(the_log_tail_keeps_only_the_newest_lines_printable) {
  Fixture f;
  spdlog::logger logger("test", f.tail);
  for (std::size_t i = 0; i < kLogLines + 10; ++i)
    logger.info("line {}", i);
  logger.info("forged\nline \x1b[31m" + std::string(2 * kLogLineBytes, 'x'));
  const auto body = f(get("/api/log")).body;
  BOOST_TEST(body.find("\"line 10\"") == std::string::npos);
  BOOST_TEST(body.find("\"line 11\"") != std::string::npos);
  BOOST_TEST(body.find("forged?line ?[31m") != std::string::npos);
  BOOST_TEST(body.find(std::string(kLogLineBytes, 'x')) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_ca_download_returns_certificates_and_never_a_key) {
  Fixture f;
  auto r = f(get("/api/ca.pem"));
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.body.find("ca_file") != std::string::npos);

  f.pages.ca_file = f.file("ca.crt", std::string(kCertificate) + "\n");
  r = f(get("/api/ca.pem"));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == std::string(kCertificate) + "\n");
  BOOST_TEST(r.content_type == "application/x-pem-file");

  // A key file, or a certificate and its key in one file: never the key.
  f.pages.ca_file = f.file("ca.key", kPrivateKey);
  r = f(get("/api/ca.pem"));
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.body.find("PRIVATE") == std::string::npos);
  f.pages.ca_file = f.file("both.pem", std::string(kPrivateKey) + "\n" + kCertificate + "\n");
  r = f(get("/api/ca.pem"));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == std::string(kCertificate) + "\n");
  // A key hidden between certificate markers is not base64: left out.
  f.pages.ca_file =
      f.file("forged.pem", "-----BEGIN CERTIFICATE-----\n" + std::string(kPrivateKey) +
                               "\n-----END CERTIFICATE-----\n");
  r = f(get("/api/ca.pem"));
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.body.find("PRIVATE") == std::string::npos);
  f.pages.ca_file = (f.dir.path / "missing.crt").string();
  BOOST_TEST(f(get("/api/ca.pem")).status == 404);
  auto post = get("/api/ca.pem");
  post.method = "POST";
  BOOST_TEST(f(post).status == 405);
}

BOOST_AUTO_TEST_SUITE_END()
