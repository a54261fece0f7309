// The add-devices API (web/onboarding.hpp): methods, JSON bodies and their checks; the work is
// Onboarding's.
#include <rapidjson/document.h>

#include "protocol/json.hpp"
#include "web/onboarding.hpp"

namespace meross::web {
namespace {

constexpr std::size_t kMaxHosts = 256;

Response method_not_allowed(std::string_view allowed) {
  auto r = error(405, "method not allowed");
  r.headers.emplace_back("Allow", std::string(allowed));
  return r;
}

// The body as a JSON object, or the 400 that says why not.
std::optional<Response> parse_object(const std::string& body, rapidjson::Document& doc) {
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return error(400, "expected a JSON object");
  return std::nullopt;
}

// The string member `name` ("" when absent); a 400 when it is there and not a string.
std::optional<Response> text(const rapidjson::Value& object, const char* name, std::string& out) {
  const auto* value = protocol::find_member(object, name);
  if (!value || value->IsNull()) return std::nullopt;
  if (!value->IsString()) return error(400, std::string(name) + ": expected a string");
  out.assign(value->GetString(), value->GetStringLength());
  return std::nullopt;
}

}  // namespace

Response route_onboarding(const Request& request, std::string_view path, Onboarding& onboarding) {
  if (path == "state") {
    if (request.method != "GET") return method_not_allowed("GET");
    Response r;
    r.content_type = "application/json";
    r.body = onboarding.state_json();
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  if (path != "account" && path != "key" && path != "forget" && path != "scan" && path != "move") {
    return error(404, "not found");
  }
  if (request.method != "POST") return method_not_allowed("POST");
  if (path == "forget") return onboarding.forget();
  rapidjson::Document doc;
  if (auto bad = parse_object(request.body, doc)) return *bad;
  if (path == "account") {
    std::string email, password, mfa, api;
    if (auto bad = text(doc, "email", email)) return *bad;
    if (auto bad = text(doc, "password", password)) return *bad;
    if (auto bad = text(doc, "mfa", mfa)) return *bad;
    if (auto bad = text(doc, "api", api)) return *bad;
    return onboarding.sign_in(email, password, mfa, api);
  }
  if (path == "key") {
    std::string key, user_id;
    if (auto bad = text(doc, "key", key)) return *bad;
    if (auto bad = text(doc, "user_id", user_id)) return *bad;
    std::uint64_t id = 0;
    if (!user_id.empty()) {
      if (user_id.size() > 19 || user_id.find_first_not_of("0123456789") != std::string::npos) {
        return error(400, "user_id: expected a number");
      }
      id = std::stoull(user_id);
    }
    return onboarding.use_key(key, id);
  }
  if (path == "scan") {
    std::string targets;
    if (auto bad = text(doc, "targets", targets)) return *bad;
    return onboarding.scan(targets);
  }
  const auto* hosts = protocol::find_member(doc, "hosts");
  if (!hosts || !hosts->IsArray()) return error(400, "hosts: expected a list of addresses");
  if (hosts->Size() > kMaxHosts) return error(400, "hosts: too many");
  std::vector<std::string> list;
  for (const auto& host : hosts->GetArray()) {
    if (!host.IsString()) return error(400, "hosts: expected a list of addresses");
    list.emplace_back(host.GetString(), host.GetStringLength());
  }
  return onboarding.move(list);
}

}  // namespace meross::web
