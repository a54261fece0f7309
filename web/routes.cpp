#include "web/routes.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

#include <boost/beast/core/detail/base64.hpp>

#include <rapidjson/document.h>
#include <spdlog/common.h>

#include "bridge/config_edit.hpp"
#include "bridge/logging.hpp"
#include "web/assets.hpp"

namespace meross::web {
namespace {

namespace base64 = boost::beast::detail::base64;

std::string_view strip_ipv4_mapped(std::string_view remote) {
  constexpr std::string_view kMapped = "::ffff:";
  return remote.starts_with(kMapped) ? remote.substr(kMapped.size()) : remote;
}

bool is_loopback(std::string_view address) {
  return address == "::1" || address.starts_with("127.");
}

std::string decode_base64(std::string_view text) {
  if (text.size() > 1024) return {};
  std::string out(base64::decoded_size(text.size()), '\0');
  const auto [written, read] = base64::decode(out.data(), text.data(), text.size());
  if (read != text.size()) return {};
  out.resize(written);
  return out;
}

// The length is not what is worth hiding; the bytes are compared without an early exit.
bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool valid_uuid(std::string_view uuid) {
  return uuid.size() == 32 && std::all_of(uuid.begin(), uuid.end(),
                                          [](unsigned char c) { return std::isalnum(c) != 0; });
}

Response json(std::shared_ptr<const std::string> body) {
  Response r;
  r.content_type = "application/json";
  r.body = body ? *body : std::string("null");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response method_not_allowed(std::string_view allowed) {
  auto r = error(405, "method not allowed");
  r.headers.emplace_back("Allow", std::string(allowed));
  return r;
}

}  // namespace

Response error(int status, std::string message) {
  Response r;
  r.status = status;
  r.body = std::move(message) + "\n";
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

bool remote_allowed(std::string_view remote, bool ingress_only) {
  if (!ingress_only) return true;
  const auto address = strip_ipv4_mapped(remote);
  return is_loopback(address) || address == kIngressGateway;
}

bool password_ok(std::string_view authorization, std::string_view password) {
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.size() < kBasic.size()) return false;
  std::string scheme(authorization.substr(0, kBasic.size()));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "basic ") return false;
  const std::string pair = decode_base64(authorization.substr(kBasic.size()));
  const auto colon = pair.find(':');
  if (colon == std::string::npos) return false;
  return equal_constant_time(std::string_view(pair).substr(colon + 1), password);
}

Response route(const Request& request, const Access& access, const Routes& routes) {
  if (!remote_allowed(request.remote, access.ingress_only)) {
    return error(403, "only Home Assistant's ingress may open this page");
  }
  if (!access.password.empty() && !password_ok(request.authorization, access.password)) {
    auto r = error(401, "password required");
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"meross-bridge\", charset=\"UTF-8\"");
    return r;
  }
  if (request.target.empty() || request.target.front() != '/') return error(400, "bad target");
  const std::string_view path =
      std::string_view(request.target).substr(0, request.target.find_first_of("?#"));
  const bool get = request.method == "GET";

  if (path == "/api/devices" || path == "/api/bridge" || path == "/api/events") {
    if (!get) return method_not_allowed("GET");
    if (path == "/api/events") {
      Response r;
      r.events = true;
      return r;
    }
    return json(path == "/api/devices" ? routes.devices : routes.bridge);
  }
  constexpr std::string_view kAddDevices = "/api/add/";
  if (path.starts_with(kAddDevices)) {
    if (request.method == "POST" && !request.action_header) {
      return error(403, "missing the " + std::string(kActionHeader) + " header");
    }
    if (!routes.add_devices) return error(404, "adding devices is not available");
    return routes.add_devices(request, path.substr(kAddDevices.size()));
  }
  constexpr std::string_view kDevices = "/api/devices/";
  constexpr std::string_view kReread = "/reread";
  if (path.starts_with(kDevices) && path.ends_with(kReread) &&
      path.size() > kDevices.size() + kReread.size()) {
    const std::string_view uuid =
        path.substr(kDevices.size(), path.size() - kDevices.size() - kReread.size());
    if (request.method != "POST") return method_not_allowed("POST");
    if (!request.action_header) {
      return error(403, "missing the " + std::string(kActionHeader) + " header");
    }
    if (!valid_uuid(uuid)) return error(400, "not a device uuid");
    if (!routes.reread || !routes.reread(std::string(uuid))) {
      return error(404, "no such device");
    }
    return error(202, "reading the device again");
  }
  if (routes.pages) {
    if (auto r = route_pages(request, path, *routes.pages)) return std::move(*r);
  }
  const std::string_view file = path == "/" ? std::string_view("/index.html") : path;
  if (const Asset* asset = find_asset(file)) {
    if (!get) return method_not_allowed("GET");
    Response r;
    r.content_type = std::string(asset->content_type);
    r.body = std::string(asset->bytes);
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  return error(404, "not found");
}

// --- The device page, rename, the log tail, the CA download ------------------------------------

namespace {

constexpr std::string_view kCertificateBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kCertificateEnd = "-----END CERTIFICATE-----";
// Far more than a CA chain; a bigger file is not one.
constexpr std::size_t kMaxCaFileBytes = 256 * 1024;

// The value of `name` in the target's query ("" when absent).
std::string query_value(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

Response action_refused(const Request& request) {
  if (request.method != "POST") return method_not_allowed("POST");
  return error(403, "missing the " + std::string(kActionHeader) + " header");
}

Response rename_device(const Request& request, const std::string& uuid, const PageRoutes& pages) {
  if (request.method != "POST" || !request.action_header) return action_refused(request);
  rapidjson::Document body;
  body.Parse<rapidjson::kParseValidateEncodingFlag>(request.body.data(), request.body.size());
  if (body.HasParseError() || !body.IsObject() || !body.HasMember("name") ||
      !body["name"].IsString()) {
    return error(400, "expected {\"name\": \"…\"}");
  }
  const std::string name(body["name"].GetString(), body["name"].GetStringLength());
  std::string why;
  if (!bridge::valid_device_name(name, &why)) return error(400, why);
  if (!pages.rename || !pages.rename(uuid, name)) return error(404, "no such device");
  return error(202, "renaming: the name goes to Home Assistant and to the configuration file");
}

Response log_tail(const Request& request, const PageRoutes& pages) {
  if (request.method != "GET") return method_not_allowed("GET");
  const std::string level = query_value(request.target, "level");
  const auto min_level =
      level.empty() ? std::optional(spdlog::level::trace) : bridge::parse_log_level(level);
  if (!min_level || *min_level == spdlog::level::off) {
    return error(400, "level: expected one of debug, info, warning, error");
  }
  if (!pages.log) return error(404, "no log tail");
  return json(std::make_shared<const std::string>(pages.log(*min_level)));
}

Response ca_certificate(const Request& request, const PageRoutes& pages) {
  if (request.method != "GET") return method_not_allowed("GET");
  if (pages.ca_file.empty()) {
    return error(404, "no CA certificate: set [web] ca_file to the devices' broker's CA");
  }
  std::ifstream in(pages.ca_file, std::ios::binary);
  std::string text(kMaxCaFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::string pem = text.size() > kMaxCaFileBytes ? std::string() : certificates_only(text);
  if (pem.empty()) return error(404, "no CA certificate in the configured file");
  Response r;
  r.content_type = "application/x-pem-file";
  r.body = std::move(pem);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"meross-bridge-ca.pem\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::string certificates_only(std::string_view pem) {
  std::string out;
  for (auto begin = pem.find(kCertificateBegin); begin != std::string_view::npos;
       begin = pem.find(kCertificateBegin, begin + 1)) {
    const auto body = begin + kCertificateBegin.size();
    const auto end = pem.find(kCertificateEnd, body);
    if (end == std::string_view::npos) break;
    const std::string_view base64 = pem.substr(body, end - body);
    const bool clean = std::all_of(base64.begin(), base64.end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || c == '+' || c == '/' || c == '=' || std::isspace(c) != 0;
    });
    if (!clean) continue;
    out.append(pem.substr(begin, end + kCertificateEnd.size() - begin));
    out += '\n';
  }
  return out;
}

std::optional<Response> route_pages(const Request& request, std::string_view path,
                                    const PageRoutes& pages) {
  if (path == "/api/log") return log_tail(request, pages);
  if (path == "/api/ca.pem") return ca_certificate(request, pages);
  constexpr std::string_view kDevices = "/api/devices/";
  if (!path.starts_with(kDevices)) return std::nullopt;
  const std::string_view rest = path.substr(kDevices.size());
  const std::string_view uuid = rest.substr(0, rest.find('/'));
  const std::string_view tail = rest.substr(uuid.size());
  if (tail != "" && tail != "/name") return std::nullopt;
  if (!valid_uuid(uuid)) return error(400, "not a device uuid");
  if (tail == "/name") return rename_device(request, std::string(uuid), pages);
  if (request.method != "GET") return method_not_allowed("GET");
  const auto page = pages.device ? pages.device(std::string(uuid)) : std::nullopt;
  if (!page) return error(404, "no such device");
  return json(*page);
}

}  // namespace meross::web
