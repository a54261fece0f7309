#pragma once

// Headless Chromium driven over WebDriver (W3C JSON over HTTP, through libcurl): Debian's
// `chromium` and `chromium-driver` (scripts/install-deps.sh). chromedriver listens on a free
// loopback port; the browser gets a profile of its own in `profile_dir`.

#include <filesystem>
#include <memory>
#include <string>

#include "support/child_process.hpp"

namespace meross::test {

class WebDriver {
 public:
  explicit WebDriver(const std::filesystem::path& profile_dir);
  ~WebDriver();
  WebDriver(const WebDriver&) = delete;
  WebDriver& operator=(const WebDriver&) = delete;

  void navigate(const std::string& url);
  // Runs `script` (a function body: "return …;") in the page; its value as a string (strings as
  // they are, anything else as JSON).
  std::string execute(const std::string& script);
  // The page's current DOM as HTML.
  std::string source();
  void screenshot(const std::filesystem::path& png);

 private:
  // One WebDriver command; the JSON of its "value".
  std::string call(const std::string& method, const std::string& path,
                   const std::string& body = {});

  std::unique_ptr<ChildProcess> driver_;
  std::string base_;
  std::string session_;
};

// The body of a GET (any status).
std::string http_get(const std::string& url);

// Where chromedriver and chromium are expected.
inline constexpr const char* kChromeDriver = "/usr/bin/chromedriver";
inline constexpr const char* kChromium = "/usr/bin/chromium";

}  // namespace meross::test
