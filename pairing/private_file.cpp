#include "pairing/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace meross::pairing {

std::optional<protocol::Error> write_new_file(const std::filesystem::path& path, mode_t mode,
                                              bool overwrite,
                                              const std::function<bool(FILE*)>& write) {
  int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  if (!overwrite) flags |= O_EXCL;
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    const std::error_code ec(errno, std::generic_category());
    return protocol::Error{
        "", "cannot create " + path.string() + ": " + ec.message() +
                (ec == std::errc::file_exists ? " (pass --force to replace it)" : "")};
  }
  ::fchmod(fd, mode);  // open() applied the umask; an existing file kept its old mode
  FILE* file = ::fdopen(fd, "w");
  if (!file) {
    ::close(fd);
    return protocol::Error{"", "cannot write " + path.string()};
  }
  const bool ok = write(file);
  if (std::fclose(file) != 0 || !ok) return protocol::Error{"", "cannot write " + path.string()};
  return std::nullopt;
}

std::optional<protocol::Error> write_new_file(const std::filesystem::path& path, mode_t mode,
                                              bool overwrite, const std::string& text) {
  return write_new_file(path, mode, overwrite, [&](FILE* file) {
    return std::fwrite(text.data(), 1, text.size(), file) == text.size();
  });
}

}  // namespace meross::pairing
