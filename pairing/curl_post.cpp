#include "pairing/curl_post.hpp"

#include <memory>
#include <mutex>
#include <utility>

namespace meross::pairing {
namespace {

struct Sink {
  std::string* body;
  std::size_t max;
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->body->size() + size * count > sink->max) return 0;  // aborts the transfer
  sink->body->append(data, size * count);
  return size * count;
}

}  // namespace

protocol::Result<CurlAnswer> curl_post_once(const CurlPost& request) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return protocol::Error{"", "libcurl could not start"};
  curl_slist* raw = nullptr;
  for (const auto& header : request.headers) {
    curl_slist* next = curl_slist_append(raw, header.c_str());
    if (!next) {
      curl_slist_free_all(raw);
      return protocol::Error{"", "libcurl could not build the request"};
    }
    raw = next;
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw, &curl_slist_free_all);
  CurlAnswer answer;
  Sink sink{&answer.body, request.max_answer};
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, request.protocols);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, request.no_proxy);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, request.connect_ms);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, request.total_ms);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_buffer);
  answer.code = curl_easy_perform(curl.get());
  answer.error = error_buffer;
  if (answer.code == CURLE_OK)
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

protocol::Result<std::string> body_if_ok(CurlAnswer answer, const std::string& where) {
  if (answer.status != 200) {
    return protocol::Error{
        "", where + " answered HTTP " + std::to_string(answer.status) + " instead of 200"};
  }
  return std::move(answer.body);
}

}  // namespace meross::pairing
