#include "webdriver.hpp"

#include <curl/curl.h>

#include <fstream>
#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <boost/beast/core/detail/base64.hpp>

#include "support/mosquitto_broker.hpp"

namespace meross::test {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  value.Accept(w);
  return out.GetString();
}

std::string json_string(const std::string& text) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  return out.GetString();
}

}  // namespace

WebDriver::WebDriver(const std::filesystem::path& profile_dir) {
  if (!std::filesystem::exists(kChromeDriver) || !std::filesystem::exists(kChromium)) {
    throw std::runtime_error(
        "chromium and chromium-driver are needed (scripts/install-deps.sh installs them)");
  }
  const int port = free_loopback_port();
  base_ = "http://127.0.0.1:" + std::to_string(port);
  driver_ = std::make_unique<ChildProcess>(std::vector<std::string>{
      kChromeDriver, "--port=" + std::to_string(port), "--allowed-ips=127.0.0.1"});
  if (!driver_->wait_for_output("started successfully", std::chrono::seconds(30))) {
    throw std::runtime_error("chromedriver did not start: " + driver_->output());
  }
  // Root in a container has no sandbox to offer; the browser only opens our loopback page.
  const std::string args =
      "[\"--headless=new\",\"--no-sandbox\",\"--disable-gpu\","
      "\"--disable-dev-shm-usage\",\"--window-size=1400,900\","
      "\"--no-first-run\",\"--user-data-dir=" +
      profile_dir.string() + "\"]";
  const std::string value = call("POST", "/session",
                                 "{\"capabilities\":{\"alwaysMatch\":{\"browserName\":\"chrome\","
                                 "\"goog:chromeOptions\":{\"binary\":\"" +
                                     std::string(kChromium) + "\",\"args\":" + args + "}}}}");
  rapidjson::Document doc;
  doc.Parse(value.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("sessionId")) {
    throw std::runtime_error("no WebDriver session: " + value);
  }
  session_ = doc["sessionId"].GetString();
}

WebDriver::~WebDriver() {
  if (session_.empty()) return;
  try {
    call("DELETE", "/session/" + session_);
  } catch (const std::exception&) {
    // chromedriver goes with its process anyway.
  }
}

std::string WebDriver::call(const std::string& method, const std::string& path,
                            const std::string& body) {
  CURL* curl = curl_easy_init();
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  std::string response;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, (base_ + path).c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (method == "POST")
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.empty() ? "{}" : body.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    throw std::runtime_error("WebDriver " + path + ": " + curl_easy_strerror(code));
  }
  rapidjson::Document doc;
  doc.Parse(response.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("value")) {
    throw std::runtime_error("WebDriver " + path + ": unexpected answer " + response);
  }
  const auto& value = doc["value"];
  if (value.IsObject() && value.HasMember("error")) {
    throw std::runtime_error("WebDriver " + path + ": " + to_json(value));
  }
  return value.IsString() ? std::string(value.GetString()) : to_json(value);
}

std::string http_get(const std::string& url) {
  CURL* curl = curl_easy_init();
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  std::string response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) throw std::runtime_error(url + ": " + curl_easy_strerror(code));
  return response;
}

void WebDriver::navigate(const std::string& url) {
  call("POST", "/session/" + session_ + "/url", "{\"url\":" + json_string(url) + "}");
}

std::string WebDriver::execute(const std::string& script) {
  return call("POST", "/session/" + session_ + "/execute/sync",
              "{\"script\":" + json_string(script) + ",\"args\":[]}");
}

std::string WebDriver::source() {
  return call("GET", "/session/" + session_ + "/source");
}

void WebDriver::screenshot(const std::filesystem::path& png) {
  namespace base64 = boost::beast::detail::base64;
  const std::string encoded = call("GET", "/session/" + session_ + "/screenshot");
  std::string bytes(base64::decoded_size(encoded.size()), '\0');
  bytes.resize(base64::decode(bytes.data(), encoded.data(), encoded.size()).first);
  std::filesystem::create_directories(png.parent_path());
  std::ofstream(png, std::ios::binary) << bytes;
}

}  // namespace meross::test
