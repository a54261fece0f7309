#pragma once

// One region of the Meross account API for tests, on 127.0.0.1 only, as strict as the real one is
// documented to be (meross_lan cloudapi.py, MerossIot http_api.py): every request must be a POST
// of {params, sign, timestamp, nonce} to a known path with the app's headers, signed
// md5(secret + timestamp + nonce + params) with a fresh nonce and a current timestamp, and its
// params must be base64 of the expected JSON. A request that breaks a rule is answered HTTP 400
// and its problem recorded; tests assert there are none. Written independently of pairing/.

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "pairing/loopback_server.hpp"

namespace meross::test {

class FakeCloud {
 public:
  struct Options {
    std::string email;
    std::string password;  // in clear; the request must carry its md5
    std::string mfa_code;  // "" = the account has no MFA
    std::string user_id = "4242";
    std::string key;
    std::string token;
    std::string redirect_to;   // set: every sign-in answers 1030 with this data.domain
    bool throttled = false;    // every sign-in answers 1028
    std::string devices_json;  // devList's data array
    std::map<std::string, std::string> sub_devices_json;  // hub uuid → getSubDevices' data array
    std::string country_code;                             // expected accountCountryCode; "" = null
  };

  struct Request {
    std::string path;
    std::map<std::string, std::string> headers;  // lowercase names
    std::string params_json;                     // decoded
    int api_status = -1;                         // what we answered (-1: HTTP error)
  };

  explicit FakeCloud(Options options);
  FakeCloud(const FakeCloud&) = delete;
  FakeCloud& operator=(const FakeCloud&) = delete;

  std::string base() const { return "http://" + server_.host(); }
  std::vector<Request> requests() const;
  std::vector<std::string> problems() const;
  std::vector<std::string> paths() const;
  bool token_released() const;
  // Makes every later sign-in answer 1030 towards `domain` (for a region known only later).
  void redirect_to(const std::string& domain);

 private:
  void handle(int fd);
  // HTTP status and body for one request.
  std::pair<int, std::string> answer(const std::string& path,
                                     const std::map<std::string, std::string>& headers,
                                     const std::string& body);
  std::pair<int, std::string> reject(const std::string& problem);

  Options options_;
  mutable std::mutex mutex_;
  std::vector<Request> requests_;
  std::vector<std::string> problems_;
  std::set<std::string> nonces_;
  bool token_live_ = false;
  bool token_released_ = false;
  LoopbackServer server_;  // last: its thread uses everything above
};

std::string test_md5_hex(const std::string& data);

}  // namespace meross::test
