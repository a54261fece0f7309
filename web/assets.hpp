#pragma once

// The page's files (web/static/), compiled into the program by CMake (embed_assets.cmake): the
// daemon serves them without any file on disk.

#include <string_view>

namespace meross::web {

struct Asset {
  std::string_view path;  // "/index.html"
  std::string_view content_type;
  std::string_view bytes;
};

// The asset at `path`, or nullptr.
const Asset* find_asset(std::string_view path);

}  // namespace meross::web
