#include "pairing/fake_cloud.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

#include <openssl/evp.h>
#include <rapidjson/document.h>

namespace meross::test {
namespace {

constexpr const char* kSecret = "23x17ahWarFH6w29";

// Strict standard base64 (the API's own decoder is Python's b64decode).
bool base64_decode(const std::string& text, std::string& out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  for (const char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) {
      return false;
    }
  }
  out.assign(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  std::size_t size = static_cast<std::size_t>(n);
  if (text.back() == '=') --size;
  if (text[text.size() - 2] == '=') --size;
  out.resize(size);
  return true;
}

std::string api(int status, const std::string& data = "") {
  return "{\"apiStatus\":" + std::to_string(status) + ",\"sysStatus\":0,\"info\":\"fake\"" +
         (data.empty() ? std::string() : ",\"data\":" + data) + ",\"timeStamp\":\"now\"}";
}

std::set<std::string> member_names(const rapidjson::Value& object) {
  std::set<std::string> names;
  for (const auto& m : object.GetObject())
    names.insert(m.name.GetString());
  return names;
}

}  // namespace

std::string test_md5_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

FakeCloud::FakeCloud(Options options)
    : options_(std::move(options)), server_("127.0.0.1", 0, [this](int fd) {
        handle(fd);
        return LoopbackServer::After::Close;
      }) {}

std::vector<FakeCloud::Request> FakeCloud::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<std::string> FakeCloud::problems() const {
  std::lock_guard lock(mutex_);
  return problems_;
}

std::vector<std::string> FakeCloud::paths() const {
  std::vector<std::string> out;
  for (const auto& r : requests())
    out.push_back(r.path);
  return out;
}

bool FakeCloud::token_released() const {
  std::lock_guard lock(mutex_);
  return token_released_;
}

void FakeCloud::redirect_to(const std::string& domain) {
  std::lock_guard lock(mutex_);
  options_.redirect_to = domain;
}

void FakeCloud::handle(int fd) {
  const auto request = read_http_request(fd, ExpectContinue::Answer);
  if (!request) return;
  const auto& line = request->request_line;
  std::pair<int, std::string> reply;
  const auto space = line.find(' ');
  const auto space2 = line.find(' ', space + 1);
  if (line.compare(0, 5, "POST ") != 0 || space2 == std::string::npos) {
    reply = reject("not a POST: " + line);
  } else {
    reply = answer(line.substr(space + 1, space2 - space - 1), request->headers, request->body);
  }
  send_all(fd, "HTTP/1.1 " + std::to_string(reply.first) +
                   (reply.first == 200 ? " OK" : " Bad Request") +
                   "\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(reply.second.size()) + "\r\nConnection: close\r\n\r\n" +
                   reply.second);
}

std::pair<int, std::string> FakeCloud::reject(const std::string& problem) {
  std::lock_guard lock(mutex_);
  problems_.push_back(problem);
  return {400, "{}"};
}

std::pair<int, std::string> FakeCloud::answer(const std::string& path,
                                              const std::map<std::string, std::string>& headers,
                                              const std::string& body) {
  Request request;
  request.path = path;
  request.headers = headers;
  const auto record = [&](int status, std::string reply) {
    request.api_status = status;
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    return std::pair<int, std::string>{200, std::move(reply)};
  };
  const auto header = [&headers](const std::string& name) {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string("<missing>") : it->second;
  };
  const bool sign_in = path == "/v1/Auth/signIn";
  const bool dev_list = path == "/v1/Device/devList";
  const bool logout = path == "/v1/Profile/Logout";
  const bool sub_devices = path == "/v1/Hub/getSubDevices";
  if (!sign_in && !dev_list && !logout && !sub_devices) return reject("unknown path " + path);
  if (header("content-type") != "application/json") {
    return reject(path + ": Content-Type " + header("content-type"));
  }
  if (header("vender") != "meross") return reject(path + ": vender " + header("vender"));
  if (header("apptype").empty() || header("apptype") == "<missing>" ||
      header("appversion") == "<missing>" || header("applanguage") == "<missing>") {
    return reject(path + ": AppType, AppVersion and AppLanguage are required");
  }
  const std::string authorization = header("authorization");
  if (sign_in && authorization != "Basic") return reject(path + ": Authorization must be Basic");

  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  if (d.HasParseError() || !d.IsObject()) return reject(path + ": body is not a JSON object");
  if (member_names(d) != std::set<std::string>{"params", "sign", "timestamp", "nonce"} ||
      !d["params"].IsString() || !d["sign"].IsString() || !d["nonce"].IsString() ||
      !d["timestamp"].IsInt64()) {
    return reject(path + ": body must be exactly {params, sign, timestamp, nonce}: " + body);
  }
  const std::string params = d["params"].GetString();
  const std::string nonce = d["nonce"].GetString();
  const std::int64_t timestamp = d["timestamp"].GetInt64();
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (std::abs(now - timestamp) > 60000) return reject(path + ": timestamp not in milliseconds");
  if (nonce.size() < 16) return reject(path + ": nonce too short");
  {
    std::lock_guard lock(mutex_);
    if (!nonces_.insert(nonce).second) {
      problems_.push_back(path + ": nonce reused");
      return {400, "{}"};
    }
  }
  const std::string expected_sign =
      test_md5_hex(std::string(kSecret) + std::to_string(timestamp) + nonce + params);
  if (d["sign"].GetString() != expected_sign) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    return {200, api(1023)};  // "Sign check failed", as the real API answers
  }
  if (!base64_decode(params, request.params_json)) return reject(path + ": params not base64");
  rapidjson::Document p;
  p.Parse(request.params_json.c_str(), request.params_json.size());
  if (p.HasParseError() || !p.IsObject()) return reject(path + ": params are not a JSON object");

  if (!sign_in) {
    if (sub_devices) {
      if (member_names(p) != std::set<std::string>{"uuid"} || !p["uuid"].IsString()) {
        return reject(path + ": params must be {uuid}");
      }
    } else if (p.MemberCount() != 0) {
      return reject(path + ": params must be {}");
    }
    bool live = false;
    {
      std::lock_guard lock(mutex_);
      live = token_live_ && authorization == "Basic " + options_.token;
      if (live && logout) {
        token_live_ = false;
        token_released_ = true;
      }
    }
    if (!live) return record(1019, api(1019));  // token invalid
    if (logout) return record(0, api(0, "{}"));
    if (sub_devices) {
      const auto hub = options_.sub_devices_json.find(p["uuid"].GetString());
      if (hub == options_.sub_devices_json.end()) return record(-1, api(-1));
      return record(0, api(0, hub->second));
    }
    return record(0, api(0, options_.devices_json));
  }

  std::set<std::string> expected{"email", "password", "encryption", "accountCountryCode", "agree"};
  if (p.HasMember("mfaCode")) expected.insert("mfaCode");
  if (member_names(p) != expected) {
    return reject(path +
                  ": params must be {email, password, encryption, accountCountryCode, "
                  "agree[, mfaCode]}: " +
                  request.params_json);
  }
  if (!p["encryption"].IsInt() || p["encryption"].GetInt() != 1 || !p["agree"].IsInt() ||
      p["agree"].GetInt() != 0) {
    return reject(path + ": encryption must be 1 and agree 0");
  }
  const bool country_ok = options_.country_code.empty()
                              ? p["accountCountryCode"].IsNull()
                              : p["accountCountryCode"].IsString() &&
                                    p["accountCountryCode"].GetString() == options_.country_code;
  if (!country_ok) return reject(path + ": unexpected accountCountryCode");
  if (!p["email"].IsString() || !p["password"].IsString() ||
      (p.HasMember("mfaCode") && !p["mfaCode"].IsString())) {
    return reject(path + ": email, password and mfaCode must be strings");
  }
  const std::string password = p["password"].GetString();
  if (password == options_.password) return reject(path + ": the password was sent in clear");

  std::string redirect;
  {
    std::lock_guard lock(mutex_);
    redirect = options_.redirect_to;
  }
  if (!redirect.empty()) {
    return record(1030,
                  api(1030, "{\"domain\":\"" + redirect + "\",\"mqttDomain\":\"mqtt.invalid\"}"));
  }
  if (options_.throttled) return record(1028, api(1028));
  if (p["email"].GetString() != options_.email) return record(1008, api(1008));
  if (password != test_md5_hex(options_.password)) return record(1004, api(1004));
  if (!options_.mfa_code.empty()) {
    if (!p.HasMember("mfaCode")) return record(1033, api(1033));
    if (p["mfaCode"].GetString() != options_.mfa_code) return record(1032, api(1032));
  }
  {
    std::lock_guard lock(mutex_);
    token_live_ = true;
  }
  return record(0, api(0, "{\"userid\":\"" + options_.user_id + "\",\"email\":\"" + options_.email +
                              "\",\"key\":\"" + options_.key + "\",\"token\":\"" + options_.token +
                              "\",\"domain\":\"" + base() +
                              "\",\"mqttDomain\":\"mqtt.invalid\",\"mfaLockExpire\":0}"));
}

}  // namespace meross::test
