#include "web/routes.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/core/detail/base64.hpp>

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

}  // namespace meross::web
