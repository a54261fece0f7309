#pragma once

// The Meross account the end-to-end tests sign in to (account_e2e_test.cpp and the migration from
// the app): its sign-in, the secrets that must never be printed, and the fake cloud holding it.
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "pairing/fake_cloud.hpp"

namespace meross::test::fake_account {

inline const std::string kEmail = "owner@example.com";
inline const std::string kPassword = "c0rrect-h0rse-Battery";
inline const std::string kKey = "7c5b3e1f9a2d4c6e8b0a1f3d5c7e9b2a";
inline const std::string kToken = "TOKEN-f00dfeed-5ecret-token-value";
inline const std::string kUserId = "4242";

// The fake cloud's options for this account, with no device on it yet.
inline FakeCloud::Options cloud_options() {
  FakeCloud::Options o;
  o.email = kEmail;
  o.password = kPassword;
  o.key = kKey;
  o.token = kToken;
  o.user_id = kUserId;
  return o;
}

// `meross-bridge account` signing in to the cloud at `api` with the password in `password_file`.
inline std::vector<std::string> sign_in_args(const std::string& password_file,
                                             const std::string& api) {
  return {"account", "--email", kEmail, "--password-file", password_file, "--api", api};
}

// Nothing secret in what the user sees: not the password (nor its md5, which the API accepts in
// its place), the session token or the account key.
inline void check_no_secret(const std::string& output) {
  BOOST_TEST(output.find(kPassword) == std::string::npos);
  BOOST_TEST(output.find(test_md5_hex(kPassword)) == std::string::npos);
  BOOST_TEST(output.find(kToken) == std::string::npos);
  BOOST_TEST(output.find(kKey) == std::string::npos);
}

// The devices meross-sim announced with --http (`device <uuid> <type> <mac> http <host>`), in
// order: uuid and the loopback address of its local HTTP API.
inline std::vector<std::pair<std::string, std::string>> sim_http_devices(
    const std::string& output) {
  static const std::regex line("device ([0-9a-f]{32}) (\\w+) \\S+ http (127\\.0\\.0\\.1:\\d+)");
  std::vector<std::pair<std::string, std::string>> devices;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), line);
       it != std::sregex_iterator(); ++it) {
    devices.emplace_back((*it)[1], (*it)[3]);
  }
  return devices;
}

}  // namespace meross::test::fake_account
