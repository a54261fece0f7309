#pragma once

// One HTTP POST through libcurl: what the device API (http_client) and the Meross cloud API
// (cloud_account) share. Bounded connect time, total time and answer size; no signals, no
// redirects followed. What a failed transfer means is the caller's to say.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <curl/curl.h>

#include "protocol/result.hpp"

namespace meross::pairing {

struct CurlPost {
  std::string url;
  std::string_view body;
  std::vector<std::string> headers;  // "Name: value"
  const char* protocols;             // CURLOPT_PROTOCOLS_STR, e.g. "http"
  const char* no_proxy;              // CURLOPT_NOPROXY: hosts reached without a proxy
  long connect_ms;
  long total_ms;
  std::size_t max_answer;  // a longer answer aborts the transfer (CURLE_WRITE_ERROR)
};

struct CurlAnswer {
  CURLcode code = CURLE_OK;
  long status = 0;    // the HTTP status, when code is CURLE_OK
  std::string body;   // the answer, when code is CURLE_OK
  std::string error;  // libcurl's own words on a failed transfer
};

// An Error only when libcurl could not start or build the request; a failed transfer is an
// answer with its code.
protocol::Result<CurlAnswer> curl_post_once(const CurlPost& request);

// The body of an answer whose transfer went through, unless its HTTP status is not 200;
// `where` names the server in that Error.
protocol::Result<std::string> body_if_ok(CurlAnswer answer, const std::string& where);

}  // namespace meross::pairing
