#pragma once

// A JSON document parsed for the hot path (one device message, one payload): the same values,
// errors and error offsets as rapidjson::Document::Parse(text, size), at a fraction of the cost.
// rapidjson::Document allocates its allocator objects, a parse stack and a 64 KiB pool per
// document and copies every string; this parses a private copy of the text in place, with the
// copy, the values and the parse stack in one heap block sized from the text.

#include <cstddef>
#include <memory>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/error/error.h>

#include "protocol/json.hpp"

namespace meross::protocol {

class JsonDocument {
 public:
  enum class Status { Ok, Malformed, TooDeep };

  // Parses `text`. With `max_depth`, the status is TooDeep exactly when
  // json_nesting_at_most(text, max_depth) is false, whatever else is wrong with the text (callers
  // report nesting first), and the recursive parser never goes deeper than that: the parse
  // itself is the guard, so well-formed text is not scanned twice.
  static JsonDocument parse(std::string_view text, int max_depth = kUnlimitedDepth);

  Status status() const { return status_; }
  bool ok() const { return status_ == Status::Ok; }
  // For Status::Malformed: what RapidJSON reports, offset into `text`.
  rapidjson::ParseErrorCode error_code() const { return error_code_; }
  std::size_t error_offset() const { return error_offset_; }

  // The root value: null unless ok(). Stays valid while this document lives, also across moves.
  const JsonValue& root() const;

  static constexpr int kUnlimitedDepth = -1;

 private:
  struct Block;
  struct BlockDeleter {
    void operator()(Block* block) const;
  };
  std::unique_ptr<Block, BlockDeleter> block_;
  Status status_ = Status::Malformed;
  rapidjson::ParseErrorCode error_code_ = rapidjson::kParseErrorDocumentEmpty;
  std::size_t error_offset_ = 0;
};

}  // namespace meross::protocol
