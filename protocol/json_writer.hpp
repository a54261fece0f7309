#pragma once

// A RapidJSON Writer that writes straight into a std::string and keeps its nesting stack inside
// itself. A Writer<StringBuffer> costs two allocator objects, a level stack and a buffer per
// document, and then the copy of the text into a std::string: on the per-message path that was
// most of the cost of writing a small state document. The output is the same, byte for byte.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/allocators.h>
#include <rapidjson/stream.h>
#include <rapidjson/writer.h>

namespace meross::protocol {

// RapidJSON output stream into a std::string. The writer announces how much it may write
// (PutReserve) and then writes unchecked (PutUnsafe), as it does into a StringBuffer: the string
// grows ahead of the writes, and finish() cuts it to what was written. A cursor rather than an
// index: the writer's per-character loop then stores and bumps one pointer.
class StringOutput {
 public:
  using Ch = char;

  // Writes over `text` from the start; all of `text` is room to write into.
  explicit StringOutput(std::string& text)
      : text_(&text), cursor_(text.data()), end_(text.data() + text.size()) {}

  void reserve(std::size_t count) {
    if (static_cast<std::size_t>(end_ - cursor_) < count) grow(count);
  }
  void put_unsafe(char c) { *cursor_++ = c; }
  void Put(char c) {
    reserve(1);
    put_unsafe(c);
  }
  void Flush() {}
  void finish() { text_->resize(static_cast<std::size_t>(cursor_ - text_->data())); }

 private:
  void grow(std::size_t count) {
    const auto written = static_cast<std::size_t>(cursor_ - text_->data());
    text_->resize(std::max(2 * text_->size(), written + count));
    cursor_ = text_->data() + written;
    end_ = text_->data() + text_->size();
  }

  std::string* text_;
  char* cursor_;
  char* end_;
};

}  // namespace meross::protocol

// Declared before any Writer<StringOutput> member is instantiated.
namespace rapidjson {
template <>
inline void PutReserve(meross::protocol::StringOutput& stream, size_t count) {
  stream.reserve(count);
}
template <>
inline void PutUnsafe(meross::protocol::StringOutput& stream, char c) {
  stream.put_unsafe(c);
}
}  // namespace rapidjson

namespace meross::protocol {
namespace detail {
using WriterPool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;

// Constructed before the Writer base that uses them (base-from-member).
struct JsonWriterParts {
  // Eight levels of nesting fit; deeper documents take more from the pool (one allocation).
  static constexpr std::size_t kLevels = 8;
  static constexpr std::size_t kPoolBytes = 64 + kLevels * 2 * sizeof(std::size_t);

  explicit JsonWriterParts(std::size_t expected_bytes)
      : text(expected_bytes, '\0'), output(text), pool(buffer, sizeof buffer, 1024) {}
  JsonWriterParts(const JsonWriterParts&) = delete;
  JsonWriterParts& operator=(const JsonWriterParts&) = delete;

  std::string text;
  StringOutput output;
  alignas(8) char buffer[kPoolBytes];
  WriterPool pool;
};
}  // namespace detail

class JsonStringWriter : private detail::JsonWriterParts,
                         public rapidjson::Writer<StringOutput, rapidjson::UTF8<>,
                                                  rapidjson::UTF8<>, detail::WriterPool> {
 public:
  // `expected_bytes`: room made up front, to spare the string's first growth steps.
  explicit JsonStringWriter(std::size_t expected_bytes = 128)
      : JsonWriterParts(expected_bytes), Writer(output, &pool, kLevels) {}

  void key(std::string_view k) { Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void string(std::string_view s) { String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

  // The text written so far; the writer is done with.
  std::string take() {
    output.finish();
    return std::move(text);
  }
};

}  // namespace meross::protocol
