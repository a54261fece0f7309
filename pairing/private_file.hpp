#pragma once

// Creating the files the pairing tools write (keys, passwords, broker configuration) with exactly
// the mode asked for, whatever the umask, and never replacing one unless told to.

#include <sys/types.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "protocol/result.hpp"

namespace meross::pairing {

// Creates `path` with `mode` and lets `write` fill it; an existing file is an error unless
// `overwrite`. `write` returns false if it failed.
std::optional<protocol::Error> write_new_file(const std::filesystem::path& path, mode_t mode,
                                              bool overwrite,
                                              const std::function<bool(FILE*)>& write);
std::optional<protocol::Error> write_new_file(const std::filesystem::path& path, mode_t mode,
                                              bool overwrite, const std::string& text);

}  // namespace meross::pairing
