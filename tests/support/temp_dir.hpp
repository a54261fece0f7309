#pragma once

// A scratch directory under /tmp for one test, removed with everything in it when the object
// dies.

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace meross::test {

class TempDir {
 public:
  enum class Access {
    Private,      // 0700, as mkdtemp makes it
    Traversable,  // 0755: mosquitto, switched to its own user, must reach the files inside
  };

  explicit TempDir(std::string_view name = "meross-test", Access access = Access::Private) {
    std::string pattern = "/tmp/" + std::string(name) + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
    if (access == Access::Traversable) {
      namespace fs = std::filesystem;
      fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    }
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path path;
};

}  // namespace meross::test
