#include "pairing/cloud_account.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <curl/curl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "pairing/crypto.hpp"
#include "pairing/curl_post.hpp"
#include "pairing/unix_time.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"

namespace meross::pairing::cloud {
namespace {

using protocol::Error;

// An answer carries the account's key and token: errors name what was wrong, never quote it.
constexpr std::size_t kMaxAnswer = 1024 * 1024;

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct ParsedBase {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::string port;    // "" = default
};

std::optional<ParsedBase> split_base(std::string_view url) {
  ParsedBase base;
  const auto colon = url.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  base.scheme = lower(url.substr(0, colon));
  std::string_view rest = url.substr(colon + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  for (const char c : rest) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
                    c == ':' || c == '[' || c == ']';
    if (!ok) return std::nullopt;  // path, query, credentials, spaces
  }
  if (rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    base.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
  } else {
    const auto port_at = rest.find(':');
    base.host = std::string(rest.substr(0, port_at));
    rest = port_at == std::string_view::npos ? std::string_view{} : rest.substr(port_at);
  }
  if (!rest.empty()) {
    base.port = std::string(rest.substr(1));
    if (base.port.empty() || base.port.size() > 5 ||
        !std::all_of(base.port.begin(), base.port.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
      return std::nullopt;
    }
  }
  if (base.host.empty() || base.host.find_first_of("[]") != std::string::npos) return std::nullopt;
  base.host = lower(base.host);
  return base;
}

bool loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8 written as a dotted quad.
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (const char c : host) {
    if (c == '.') {
      ++dots;
    } else if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
  }
  return dots == 3;
}

std::string join(const ParsedBase& base) {
  const bool v6 = base.host.find(':') != std::string::npos;
  std::string url = base.scheme + "://" + (v6 ? "[" + base.host + "]" : base.host);
  if (!base.port.empty()) url += ":" + base.port;
  return url;
}

// The API answer's envelope: apiStatus, info and the still unparsed document.
struct Envelope {
  rapidjson::Document document;
  int status = 0;
  std::string info;
};

protocol::Result<Envelope> parse_envelope(std::string_view body) {
  if (body.size() > kMaxAnswer || !protocol::json_nesting_at_most(body)) {
    return Error{"", "the Meross API answer is too large or too deeply nested"};
  }
  Envelope envelope;
  envelope.document.Parse(body.data(), body.size());
  if (envelope.document.HasParseError() || !envelope.document.IsObject()) {
    return Error{"", "the Meross API answer is not a JSON object"};
  }
  const auto status = protocol::int_member(envelope.document, "apiStatus");
  if (!status || *status < -1000000 || *status > 1000000) {
    return Error{"apiStatus", "missing or not a number in the Meross API answer"};
  }
  envelope.status = static_cast<int>(*status);
  if (const auto info = protocol::string_member(envelope.document, "info")) {
    // Only the start: the text is the server's, shown to the user on one line.
    envelope.info = std::string(info->substr(0, 200));
    for (auto& c : envelope.info)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return envelope;
}

std::string string_field(const rapidjson::Value& object, std::string_view name) {
  const auto value = protocol::string_member(object, name);
  return value ? std::string(*value) : std::string();
}

// Calls `each` with every object in the `data` list of a successful answer to `request`; an
// Error when the answer is not one, or (`no_list`) carries no list.
std::optional<Error> each_listed(std::string_view body, const std::string& request,
                                 const char* no_list,
                                 const std::function<void(const rapidjson::Value&)>& each) {
  auto envelope = parse_envelope(body);
  if (!envelope) return envelope.error();
  if (envelope->status != kOk) {
    return Error{"", request + ": " + describe_api_status(envelope->status, envelope->info)};
  }
  const auto* data = protocol::find_member(envelope->document, "data");
  if (!data || !data->IsArray()) return Error{"data", no_list};
  for (const auto& item : data->GetArray()) {
    if (item.IsObject()) each(item);
  }
  return std::nullopt;
}

}  // namespace

namespace {

// What some apiStatus values mean to the user and, where there is one, what to do about it.
struct StatusText {
  std::array<int, 3> statuses;  // unused places are 0 (kOk, never looked up)
  const char* meaning;
  const char* advice;  // "" = none
};

constexpr StatusText kStatusTexts[] = {
    {{kMissingUser, kInvalidEmail}, "the e-mail address was refused as invalid", ""},
    {{kMissingPassword, kBadPasswordFormat},
     "the password was refused",
     "check --password-file holds exactly the password"},
    {{kUnknownAccount, kEmailNotRegistered},
     "no Meross account has this e-mail address",
     "devices added through another brand's app (e.g. Refoss) need a Meross account"},
    {{kDisabledAccount}, "this Meross account is disabled or deleted", ""},
    {{kWrongCredentials}, "wrong e-mail or password", ""},
    {{kTokenInvalid, kTokenError, kTokenExpired},
     "the Meross API refused the session token",
     "run the command again"},
    {{kSignCheckFailed}, "the Meross API refused the request signature", ""},
    {{kTooFrequent},
     "the Meross API says requests came too frequently",
     "wait a few minutes before trying again"},
    {{kRedirectRegion}, "the account lives in another region", ""},
    {{kWrongMfaCode},
     "wrong MFA code",
     "run again with the current code from your authenticator app: --mfa CODE"},
    {{kMfaCodeRequired},
     "this account uses two-factor authentication",
     "run again with the code from your authenticator app: --mfa CODE"},
    {{kOperationLocked},
     "the account is locked for now after failed attempts",
     "wait before trying again"},
    {{kTopLimitReached}, "the Meross API's request limit is reached", "try again later"},
    {{kTooManyTokens}, "too many sessions were opened on this account", "wait before trying again"},
};

}  // namespace

std::string describe_api_status(int status, std::string_view info) {
  if (status == kOk) return "success";
  const std::string code = "apiStatus " + std::to_string(status);
  const auto* known =
      std::find_if(std::begin(kStatusTexts), std::end(kStatusTexts), [&](const StatusText& t) {
        return std::find(t.statuses.begin(), t.statuses.end(), status) != t.statuses.end();
      });
  if (known == std::end(kStatusTexts)) {
    return "the Meross API answered " + code +
           (info.empty() ? std::string() : " (\"" + std::string(info) + "\")");
  }
  std::string text = std::string(known->meaning) + " (" + code + ")";
  if (*known->advice != '\0') text += std::string("; ") + known->advice;
  return text;
}

std::string cloud_sign(std::int64_t timestamp_ms, std::string_view nonce,
                       std::string_view params_base64) {
  std::string text(kCloudSecret);
  text.append(std::to_string(timestamp_ms)).append(nonce).append(params_base64);
  return protocol::md5_hex(text);
}

std::string request_body(std::string_view params_json, std::int64_t timestamp_ms,
                         std::string_view nonce) {
  const std::string params = base64_encode(params_json);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("params");
  writer.String(params.data(), static_cast<rapidjson::SizeType>(params.size()));
  writer.Key("sign");
  writer.String(cloud_sign(timestamp_ms, nonce, params).c_str());
  writer.Key("timestamp");
  writer.Int64(timestamp_ms);
  writer.Key("nonce");
  writer.String(nonce.data(), static_cast<rapidjson::SizeType>(nonce.size()));
  writer.EndObject();
  return buffer.GetString();
}

std::string new_nonce() {
  return protocol::new_message_id();
}

std::string sign_in_params(const SignInRequest& request) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  const auto string = [&writer](std::string_view s) {
    writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  writer.StartObject();
  writer.Key("email");
  string(request.email);
  writer.Key("password");
  string(protocol::md5_hex(request.password));
  writer.Key("encryption");
  writer.Int(1);
  writer.Key("accountCountryCode");
  if (request.country_code.empty()) {
    writer.Null();
  } else {
    string(request.country_code);
  }
  writer.Key("agree");
  writer.Int(0);
  if (!request.mfa_code.empty()) {
    writer.Key("mfaCode");
    string(request.mfa_code);
  }
  writer.EndObject();
  return buffer.GetString();
}

std::string region_of(std::string_view api_base) {
  const auto base = split_base(api_base);
  if (!base) return "";
  for (const char* region : {"eu", "us", "ap"}) {
    const std::string r(region);
    if (base->host.rfind("iotx-" + r + ".", 0) == 0 || base->host.rfind(r + "-iot.", 0) == 0) {
      return r;
    }
  }
  return "";
}

std::vector<std::string> request_headers(std::string_view token) {
  return {
      "Content-Type: application/json",
      "vender: meross",
      "AppType: meross-bridge",
      std::string("AppVersion: ") + MEROSS_VERSION,
      "AppLanguage: EN",
      std::string("User-Agent: meross-bridge/") + MEROSS_VERSION,
      token.empty() ? std::string("Authorization: Basic")
                    : "Authorization: Basic " + std::string(token),
  };
}

protocol::Result<std::string> check_api_base(std::string_view url) {
  const auto base = split_base(url);
  if (!base || (base->scheme != "https" && base->scheme != "http")) {
    return Error{"--api",
                 "expected https://HOST[:PORT] (no path), e.g. " + std::string(kDefaultApi)};
  }
  if (base->scheme == "http" && !loopback_host(base->host)) {
    return Error{"--api",
                 "plain http:// is only accepted for a loopback test server; the Meross "
                 "API is https://"};
  }
  return join(*base);
}

bool is_loopback_base(std::string_view checked_base) {
  const auto base = split_base(checked_base);
  return base && loopback_host(base->host);
}

protocol::Result<std::string> redirect_target(std::string_view current_base,
                                              std::string_view domain) {
  const auto current = split_base(current_base);
  if (!current) return Error{"data.domain", "the current API address is not a URL"};
  const bool from_loopback = loopback_host(current->host);
  std::string text(domain);
  if (text.find("://") == std::string::npos) {
    text = (from_loopback ? current->scheme : std::string("https")) + "://" + text;
  }
  const auto target = split_base(text);
  if (!target || (target->scheme != "https" && target->scheme != "http")) {
    return Error{"data.domain", "the redirect's domain is not an https://HOST[:PORT] address"};
  }
  const std::string shown = join(*target);
  if (from_loopback && !loopback_host(target->host)) {
    return Error{"data.domain", "refusing to follow a redirect from a loopback --api to " + shown};
  }
  if (!from_loopback && target->scheme != "https") {
    return Error{"data.domain", "refusing to follow a redirect to " + shown + " (not https)"};
  }
  return shown;
}

protocol::Result<SignInAnswer> parse_sign_in(std::string_view body) {
  auto envelope = parse_envelope(body);
  if (!envelope) return envelope.error();
  SignInAnswer answer;
  answer.status = envelope->status;
  answer.info = envelope->info;
  const auto* data = protocol::find_member(envelope->document, "data");
  if (answer.status == kRedirectRegion) {
    const auto domain = data ? protocol::string_member(*data, "domain") : std::nullopt;
    if (!domain || domain->empty()) {
      return Error{"data.domain", "a region redirect (apiStatus 1030) without the region's domain"};
    }
    answer.redirect_domain = std::string(*domain);
    return answer;
  }
  if (answer.status != kOk) return answer;
  if (!data || !data->IsObject()) {
    return Error{"data", "the sign-in answer carries no account data"};
  }
  Credentials credentials;
  // userid is a string in every answer seen; a number is accepted too.
  if (const auto* id = protocol::find_member(*data, "userid"); id && id->IsUint64()) {
    credentials.user_id = std::to_string(id->GetUint64());
  } else {
    credentials.user_id = string_field(*data, "userid");
  }
  credentials.email = string_field(*data, "email");
  credentials.key = string_field(*data, "key");
  credentials.token = string_field(*data, "token");
  credentials.domain = string_field(*data, "domain");
  credentials.mqtt_domain = string_field(*data, "mqttDomain");
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"userid", &credentials.user_id},
        {"key", &credentials.key},
        {"token", &credentials.token}}) {
    if (value->empty()) {
      return Error{std::string("data.") + name, "missing or empty in the sign-in answer"};
    }
  }
  if (credentials.user_id.size() > 19 ||
      !std::all_of(credentials.user_id.begin(), credentials.user_id.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return Error{"data.userid", "not a decimal number"};
  }
  answer.credentials = std::move(credentials);
  return answer;
}

std::string_view online_name(int online_status) {
  switch (online_status) {
    case 1:
      return "online";
    case 2:
      return "offline";
    case 3:
      return "upgrading";
    default:
      return "unknown";
  }
}

protocol::Result<std::vector<CloudDevice>> parse_device_list(std::string_view body) {
  std::vector<CloudDevice> devices;
  const auto add = [&](const rapidjson::Value& item) {
    CloudDevice device;
    device.uuid = string_field(item, "uuid");
    if (device.uuid.empty()) return;
    device.name = string_field(item, "devName");
    device.type = string_field(item, "deviceType");
    device.sub_type = string_field(item, "subType");
    device.firmware = string_field(item, "fmwareVersion");
    device.hardware = string_field(item, "hdwareVersion");
    device.online_status = static_cast<int>(protocol::int_member(item, "onlineStatus").value_or(0));
    devices.push_back(std::move(device));
  };
  if (auto error = each_listed(body, "device list",
                               "the device list answer carries no list of devices", add)) {
    return *error;
  }
  return devices;
}

bool is_hub(const CloudDevice& device) {
  std::string type = device.type;
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type.rfind("msh", 0) == 0;
}

protocol::Result<std::vector<CloudSubDevice>> parse_sub_devices(std::string_view body) {
  std::vector<CloudSubDevice> children;
  const auto add = [&](const rapidjson::Value& item) {
    CloudSubDevice child{string_field(item, "subDeviceId"), string_field(item, "subDeviceType"),
                         string_field(item, "subDeviceName")};
    if (!child.id.empty()) children.push_back(std::move(child));
  };
  if (auto error = each_listed(body, "hub sub-devices",
                               "the sub-device answer carries no list of sub-devices", add)) {
    return *error;
  }
  return children;
}

CloudPost curl_post(long connect_ms, long total_ms) {
  return [connect_ms, total_ms](
             const std::string& url, const std::string& body,
             const std::vector<std::string>& headers) -> protocol::Result<std::string> {
    // A loopback test server must not go through a proxy from the environment.
    auto answer = curl_post_once({url, body, headers, "http,https", "localhost,127.0.0.1,::1",
                                  connect_ms, total_ms, kMaxAnswer});
    if (!answer) return answer.error();
    const CURLcode code = answer->code;
    // The URL holds no secret (the token travels in a header, the password in the body).
    const std::string where = url.substr(0, url.find("/v1/"));
    if (code == CURLE_OPERATION_TIMEDOUT) {
      return Error{"", where + " did not answer within " + std::to_string(total_ms / 1000) + " s"};
    }
    if (code != CURLE_OK) {
      return Error{"", "cannot reach " + where + ": " + curl_easy_strerror(code)};
    }
    return body_if_ok(std::move(*answer), where);
  };
}

protocol::Result<SignInOutcome> sign_in(const CloudPost& post, std::string api_base,
                                        const SignInRequest& request, int max_redirects,
                                        const std::function<void(const std::string&)>& progress) {
  auto base = check_api_base(api_base);
  if (!base) return base.error();
  std::string current = std::move(*base);
  const std::string params = sign_in_params(request);
  for (int redirects = 0;; ++redirects) {
    auto body = post(current + std::string(kSignInPath),
                     request_body(params, unix_ms(), new_nonce()), request_headers(""));
    if (!body) return body.error();
    auto answer = parse_sign_in(*body);
    if (!answer) return answer.error();
    if (answer->status != kRedirectRegion) return SignInOutcome{std::move(*answer), current};
    if (redirects >= max_redirects) {
      return Error{"", "the Meross API redirected the sign-in more than " +
                           std::to_string(max_redirects) + " times"};
    }
    auto next = redirect_target(current, answer->redirect_domain);
    if (!next) return next.error();
    if (progress) progress(*next);
    current = std::move(*next);
  }
}

protocol::Result<std::vector<CloudDevice>> list_devices(const CloudPost& post,
                                                        const std::string& base,
                                                        const std::string& token) {
  auto body = post(base + std::string(kDeviceListPath), request_body("{}", unix_ms(), new_nonce()),
                   request_headers(token));
  if (!body) return body.error();
  return parse_device_list(*body);
}

protocol::Result<std::vector<CloudSubDevice>> list_sub_devices(const CloudPost& post,
                                                               const std::string& base,
                                                               const std::string& token,
                                                               std::string_view hub_uuid) {
  rapidjson::StringBuffer params;
  rapidjson::Writer<rapidjson::StringBuffer> writer(params);
  writer.StartObject();
  writer.Key("uuid");
  writer.String(hub_uuid.data(), static_cast<rapidjson::SizeType>(hub_uuid.size()));
  writer.EndObject();
  auto body =
      post(base + std::string(kHubSubDevicesPath),
           request_body(params.GetString(), unix_ms(), new_nonce()), request_headers(token));
  if (!body) return body.error();
  return parse_sub_devices(*body);
}

void log_out(const CloudPost& post, const std::string& base, const std::string& token) {
  (void)post(base + std::string(kLogoutPath), request_body("{}", unix_ms(), new_nonce()),
             request_headers(token));
}

}  // namespace meross::pairing::cloud
