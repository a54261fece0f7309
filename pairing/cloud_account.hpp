#pragma once

// The Meross account's HTTP API, as far as getting the account's key takes (issue 14): sign in,
// list the devices. Learned from krahabb/meross_lan (merossclient/cloudapi.py) and
// albertogeniola/MerossIot (meross_iot/http_api.py); see docs/pairing.md.
//
// Every request is a POST of the JSON object
//   {"params": base64(JSON), "sign": md5hex(kCloudSecret + timestamp + nonce + params),
//    "timestamp": <ms since the epoch>, "nonce": <random>}
// and every answer is {"apiStatus": N, "info": "...", "data": ...}, apiStatus 0 meaning success.
//
// The building and parsing here is pure; cloud_post() is the only function that talks to the
// network. Nothing here writes the password, the token or the key to an Error.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.hpp"

namespace meross::pairing::cloud {

// The app's fixed salt for request signatures: it authenticates nothing, but the API rejects a
// request signed otherwise ("Sign check failed").
inline constexpr std::string_view kCloudSecret = "23x17ahWarFH6w29";
inline constexpr std::string_view kDefaultApi = "https://iotx-eu.meross.com";
inline constexpr std::string_view kSignInPath = "/v1/Auth/signIn";
inline constexpr std::string_view kDeviceListPath = "/v1/Device/devList";
inline constexpr std::string_view kHubSubDevicesPath = "/v1/Hub/getSubDevices";
inline constexpr std::string_view kLogoutPath = "/v1/Profile/Logout";

// apiStatus values we act on or explain (names after meross_lan's and MerossIot's lists).
enum ApiStatus : int {
  kOk = 0,
  kMissingUser = 1000,
  kMissingPassword = 1001,
  kUnknownAccount = 1002,
  kDisabledAccount = 1003,
  kWrongCredentials = 1004,
  kInvalidEmail = 1005,
  kBadPasswordFormat = 1006,
  kEmailNotRegistered = 1008,
  kTokenInvalid = 1019,
  kTokenError = 1022,
  kSignCheckFailed = 1023,
  kTooFrequent = 1028,
  kRedirectRegion = 1030,
  kWrongMfaCode = 1032,
  kMfaCodeRequired = 1033,
  kOperationLocked = 1035,
  kTopLimitReached = 1042,
  kTokenExpired = 1200,
  kTooManyTokens = 1301,
};

// One sentence for a non-zero apiStatus, with what to do about it; `info` is the server's own
// text, appended for statuses we do not know.
std::string describe_api_status(int status, std::string_view info);

// --- requests ------------------------------------------------------------------------------------

// md5hex(kCloudSecret + decimal(timestamp_ms) + nonce + params_base64).
std::string cloud_sign(std::int64_t timestamp_ms, std::string_view nonce,
                       std::string_view params_base64);

// The POST body for `params_json` (a JSON object's text).
std::string request_body(std::string_view params_json, std::int64_t timestamp_ms,
                         std::string_view nonce);

// 32 lowercase hex characters from the CSPRNG, as meross_lan sends (uuid4().hex).
std::string new_nonce();

struct SignInRequest {
  std::string email;
  std::string password;  // in clear here; only its md5 is sent
  std::string mfa_code;  // "" = none
  // "eu", "us", "ap" from the API host; empty (sent as null) when the host names no region.
  std::string country_code;
};

// {"email", "password": md5hex(password), "encryption": 1, "accountCountryCode", "agree": 0,
//  "mfaCode" when given}.
std::string sign_in_params(const SignInRequest& request);

// The region an API host names ("https://iotx-us.meross.com" → "us"), or "".
std::string region_of(std::string_view api_base);

// The HTTP headers of every request (Content-Type, vender, AppType, AppVersion, AppLanguage,
// User-Agent, Authorization). `token` "" for the sign-in, which sends a bare "Basic".
std::vector<std::string> request_headers(std::string_view token);

// --- API base URLs -------------------------------------------------------------------------------

// "https://host[:port]" or, for a loopback host only, "http://host[:port]"; a trailing "/" is
// dropped; anything else (path, query, credentials, spaces) is an Error.
protocol::Result<std::string> check_api_base(std::string_view url);
bool is_loopback_base(std::string_view checked_base);

// Where a 1030 answer's data.domain sends the next sign-in. A domain without a scheme takes
// "https://", or the current scheme when the current base is loopback. From a loopback base only
// a loopback target is followed (a test never reaches out); otherwise only https.
protocol::Result<std::string> redirect_target(std::string_view current_base,
                                              std::string_view domain);

// --- answers -------------------------------------------------------------------------------------

struct Credentials {
  std::string user_id;  // decimal, as the API sends it
  std::string email;
  std::string key;    // secret
  std::string token;  // secret
  std::string domain;
  std::string mqtt_domain;
};

struct SignInAnswer {
  int status = kOk;
  std::string info;                        // the server's text, for messages
  std::optional<Credentials> credentials;  // status 0
  std::string redirect_domain;             // status 1030
};

// Parses a sign-in answer. An Error when it is not an API answer at all, or status 0 without the
// credentials (userid, key, token as non-empty strings; userid a decimal number).
protocol::Result<SignInAnswer> parse_sign_in(std::string_view body);

struct CloudDevice {
  std::string uuid;
  std::string name;
  std::string type;
  std::string sub_type;
  std::string firmware;
  std::string hardware;
  int online_status = 0;  // 1 online, 2 offline, 3 upgrading, 0 unknown
};
std::string_view online_name(int online_status);

// Parses a devList answer: the devices, or an Error from describe_api_status().
protocol::Result<std::vector<CloudDevice>> parse_device_list(std::string_view body);

// A hub's children (valves, sensors): they talk through the hub and have no uuid of their own.
struct CloudSubDevice {
  std::string id;
  std::string type;
  std::string name;
};
bool is_hub(const CloudDevice& device);  // an msh* hub, whose children getSubDevices lists

// Parses a getSubDevices answer: the children, or an Error from describe_api_status().
protocol::Result<std::vector<CloudSubDevice>> parse_sub_devices(std::string_view body);

// --- transport -----------------------------------------------------------------------------------

// POSTs `body` to `url` with `headers`; the response body on HTTP 200.
using CloudPost = std::function<protocol::Result<std::string>(
    const std::string& url, const std::string& body, const std::vector<std::string>& headers)>;

// libcurl, no redirects followed, no proxy for loopback, bounded connect and total time.
CloudPost curl_post(long connect_ms = 10000, long total_ms = 30000);

struct SignInOutcome {
  SignInAnswer answer;  // the last answer (status 0, or the failure)
  std::string base;     // where it came from: the API base to use with the token
};

// Signs in at `api_base`, following at most `max_redirects` 1030 answers. An Error when the
// network failed, an answer was unreadable or a redirect was refused; a non-zero status is an
// outcome for the caller to explain. `progress` hears each redirect.
protocol::Result<SignInOutcome> sign_in(
    const CloudPost& post, std::string api_base, const SignInRequest& request,
    int max_redirects = 3, const std::function<void(const std::string&)>& progress = {});

// The account's devices, with the token from sign_in().
protocol::Result<std::vector<CloudDevice>> list_devices(const CloudPost& post,
                                                        const std::string& base,
                                                        const std::string& token);

// The children of the hub `hub_uuid`, with the token from sign_in().
protocol::Result<std::vector<CloudSubDevice>> list_sub_devices(const CloudPost& post,
                                                               const std::string& base,
                                                               const std::string& token,
                                                               std::string_view hub_uuid);

// Releases the token (every sign-in opens a session, and too many get the account refused with
// apiStatus 1301). Best effort: a failure only leaves the token to expire.
void log_out(const CloudPost& post, const std::string& base, const std::string& token);

}  // namespace meross::pairing::cloud
