#include "pairing/loopback_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <stdexcept>

namespace meross::test {
namespace {

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// The request line and headers of `head` (everything before the blank line).
void parse_head(const std::string& head, HttpRequest& request) {
  std::size_t at = head.find("\r\n");
  request.request_line = head.substr(0, at);
  while (at < head.size()) {
    const auto next = head.find("\r\n", at + 2);
    const std::string line = head.substr(at + 2, next - at - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      request.headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
    }
    at = next;
  }
}

}  // namespace

LoopbackServer::LoopbackServer(const std::string& address, int port, Serve serve)
    : address_(address), serve_(std::move(serve)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  socklen_t length = sizeof(addr);
  const int reuse = 1;
  if (listen_fd_ < 0 || ::inet_pton(AF_INET, address_.c_str(), &addr.sin_addr) != 1 ||
      (ntohl(addr.sin_addr.s_addr) >> 24) != 127 ||
      ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)) != 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    throw std::runtime_error("test server cannot listen on " + address_);
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

LoopbackServer::~LoopbackServer() {
  stop_ = true;
  thread_.join();
  for (const int fd : held_)
    ::close(fd);
  ::close(listen_fd_);
}

void LoopbackServer::run() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (serve_(fd) == After::Hold) {
      held_.push_back(fd);
    } else {
      ::close(fd);
    }
  }
}

std::optional<HttpRequest> read_http_request(int fd, ExpectContinue expect) {
  HttpRequest request;
  std::string data;
  char buffer[4096];
  std::size_t header_end = std::string::npos;
  std::size_t content_length = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const auto n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return std::nullopt;
    data.append(buffer, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      parse_head(data.substr(0, header_end), request);
      const auto length = request.headers.find("content-length");
      if (length != request.headers.end()) content_length = std::stoul(length->second);
      if (expect == ExpectContinue::Answer && request.headers.count("expect")) {
        send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
      }
    }
    if (data.size() >= header_end + 4 + content_length) break;
  }
  if (header_end == std::string::npos) return std::nullopt;
  request.body = data.substr(header_end + 4, content_length);
  return request;
}

bool send_all(int fd, std::string_view data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace meross::test
