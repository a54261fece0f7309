#pragma once

// `meross-bridge account` (issue 14): signs in to the user's Meross account, prints the userId
// and the devices, and with --write-config stores the account's key and userId in the bridge's
// TOML, so devices already set up with the Meross app can be moved to the local broker without a
// new pairing. The password is read from a file or the terminal, sent only as its md5, and never
// stored or printed; neither are the key and the session token.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pairing/cloud_account.hpp"
#include "protocol/result.hpp"

namespace CLI {
class App;
}

namespace meross::pairing {

struct AccountOptions {
  std::string email;
  std::string password_file;  // "" = ask on the terminal, "-" = the first line of stdin
  std::string mfa_code;
  std::string api = std::string(cloud::kDefaultApi);
  std::string write_config;  // "" = print only
  double timeout_s = 30;
  bool json = false;  // the result as JSON on `out` (machine_output.hpp), the text on `err`
};

// Exit codes: 0 done, 1 failed, 2 an MFA code is needed or was wrong (run again with --mfa).
// `post` replaces libcurl in tests; nullptr = curl_post with the timeout.
int run_account(const AccountOptions& options, std::ostream& out, std::ostream& err,
                const cloud::CloudPost* post = nullptr);

void add_account_command(CLI::App& app);

// What to set in a bridge configuration. Unset members leave the file's values alone.
struct BridgeTomlUpdate {
  std::optional<std::string> key;
  std::optional<std::uint64_t> user_id;
  struct Device {
    std::string uuid;
    std::string name;
  };
  // Added as [[devices]] when their uuid is not listed yet; a listed device keeps all its fields
  // and only gets the name when it has none (a name given locally wins over the app's).
  std::vector<Device> devices;
};

// The TOML text `text` (of the file `file_name`, for messages) with `update` applied; every other
// table and key is kept (comments are not: toml++ does not keep them). An Error when the text is
// not TOML or [meross] / [[devices]] have another type.
protocol::Result<std::string> update_bridge_toml(std::string_view text,
                                                 const BridgeTomlUpdate& update,
                                                 std::string_view file_name);

// Applies `update` to the file at `path`, creating it when absent. The new text replaces the file
// atomically (rename of a sibling written first) with mode 0600 either way, as it holds the key.
std::optional<protocol::Error> update_bridge_config(const std::filesystem::path& path,
                                                    const BridgeTomlUpdate& update);

}  // namespace meross::pairing
