#include "protocol/json_document.hpp"

#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#include <rapidjson/reader.h>

namespace meross::protocol {
namespace {

using Pool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
// The parse stack lives in the pool too: RapidJSON's default stack allocator is one more
// allocator object and buffer per document.
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;
static_assert(std::is_same_v<Document::ValueType, JsonValue>);

constexpr std::size_t kStackBytes = 512;

constexpr std::size_t align8(std::size_t n) {
  return (n + 7) & ~std::size_t{7};
}

// Forwards the parse to the document, refusing to open an object or array deeper than the limit
// (so the recursive parser never goes deeper either).
class DepthGuard {
 public:
  DepthGuard(Document& document, int max_depth) : d_(document), max_depth_(max_depth) {}
  bool tripped() const { return tripped_; }

  bool Null() { return d_.Null(); }
  bool Bool(bool b) { return d_.Bool(b); }
  bool Int(int i) { return d_.Int(i); }
  bool Uint(unsigned u) { return d_.Uint(u); }
  bool Int64(std::int64_t i) { return d_.Int64(i); }
  bool Uint64(std::uint64_t u) { return d_.Uint64(u); }
  bool Double(double v) { return d_.Double(v); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return d_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return d_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return d_.Key(s, n, copy); }
  bool StartObject() { return enter() && d_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return d_.EndObject(members);
  }
  bool StartArray() { return enter() && d_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return d_.EndArray(elements);
  }

 private:
  bool enter() {
    if (++depth_ > max_depth_ && max_depth_ != JsonDocument::kUnlimitedDepth) {
      tripped_ = true;
      return false;
    }
    return true;
  }

  Document& d_;
  int max_depth_;
  int depth_ = 0;
  bool tripped_ = false;
};

}  // namespace

// The pool and the document at the front of one allocation; the pool's first buffer follows.
struct JsonDocument::Block {
  Block(std::size_t capacity, std::size_t chunk)
      : pool(reinterpret_cast<char*>(this + 1), capacity, chunk),
        document(&pool, kStackBytes, &pool) {}
  Pool pool;
  Document document;
};

void JsonDocument::BlockDeleter::operator()(Block* block) const {
  block->~Block();
  ::operator delete(static_cast<void*>(block));
}

const JsonValue& JsonDocument::root() const {
  static const JsonValue kNull;
  return block_ ? static_cast<const JsonValue&>(block_->document) : kNull;
}

JsonDocument JsonDocument::parse(std::string_view text, int max_depth) {
  // The copy of the text, then the values (a few bytes per byte of text at most for real
  // messages); more goes to extra chunks of the pool.
  const std::size_t copy_bytes = align8(text.size() + 1);
  const std::size_t capacity = 64 + copy_bytes + 2 * text.size() + kStackBytes;

  // The pool's first buffer, right after the block, must be 8-byte aligned as its chunks are.
  static_assert(sizeof(Block) % 8 == 0);
  JsonDocument out;
  void* raw = ::operator new(sizeof(Block) + capacity);
  out.block_.reset(new (raw) Block(capacity, text.size() + 1024));
  Block& block = *out.block_;

  char* copy = static_cast<char*>(block.pool.Malloc(text.size() + 1));
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';

  // Document::Parse(text, size) reads through EncodedInputStream<UTF8, MemoryStream>, which skips
  // the bytes of a UTF-8 BOM one by one; its offsets count them.
  std::size_t skipped = 0;
  for (const unsigned bom : {0xEFu, 0xBBu, 0xBFu}) {
    if (skipped < text.size() && static_cast<unsigned char>(copy[skipped]) == bom) ++skipped;
  }

  // (RAPIDJSON_SSE2 would scan strings faster, but RapidJSON 1.1.0's SSE2 in-place scanning
  // reports other errors, or none, for some malformed escapes: the results would differ.)
  rapidjson::GenericInsituStringStream<rapidjson::UTF8<>> stream(copy + skipped);
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, Pool> reader(&block.pool);
  DepthGuard guard(block.document, max_depth);
  rapidjson::ParseResult result;
  auto generate = [&](Document&) {
    // Default number parsing: exact for every integer, the only numbers Meross sends. (RapidJSON
    // 1.1.0's full-precision mode has undefined behaviour on inputs such as 0e063.)
    result = reader.Parse<rapidjson::kParseInsituFlag>(stream, guard);
    return !result.IsError();
  };
  block.document.Populate(generate);

  // The guard saw the nesting of the text that parsed; the scan has the last word on text that
  // did not parse, or that hides more after a NUL byte (where RapidJSON stops reading).
  if (max_depth != kUnlimitedDepth &&
      (guard.tripped() || result.IsError() ||
       std::memchr(text.data(), '\0', text.size()) != nullptr) &&
      (guard.tripped() || !json_nesting_at_most(text, max_depth))) {
    out.status_ = Status::TooDeep;
  } else if (result.IsError()) {
    out.status_ = Status::Malformed;
    out.error_code_ = result.Code();
    out.error_offset_ = skipped + result.Offset();
  } else {
    out.status_ = Status::Ok;
  }
  return out;
}

}  // namespace meross::protocol
