#include "bridge/state_table.hpp"

#include <utility>

namespace meross::bridge {
namespace {

// Lengths as LEB128: one byte below 128, which is almost every key and payload.
void append_length(std::string& out, std::size_t length) {
  do {
    const auto low = static_cast<unsigned char>(length & 0x7f);
    length >>= 7;
    out.push_back(static_cast<char>(length != 0 ? low | 0x80 : low));
  } while (length != 0);
}

std::size_t read_length(const std::string& text, std::size_t& at) {
  std::size_t length = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(text[at++]);
    length |= static_cast<std::size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return length;
  }
}

std::string encoded(std::string_view text) {
  std::string out;
  append_length(out, text.size());
  out.append(text);
  return out;
}

}  // namespace

StateTable::Entry StateTable::entry_at(std::size_t at) const {
  Entry e;
  const std::size_t key_length = read_length(text_, at);
  e.key = std::string_view(text_).substr(at, key_length);
  e.payload_at = at + key_length;
  at = e.payload_at;
  const std::size_t payload_length = read_length(text_, at);
  e.payload = std::string_view(text_).substr(at, payload_length);
  e.end = at + payload_length;
  return e;
}

void StateTable::set(std::string_view key, std::string_view payload) {
  std::size_t at = 0;
  while (at < text_.size()) {
    const Entry e = entry_at(at);
    if (e.key == key) {
      text_.replace(e.payload_at, e.end - e.payload_at, encoded(payload));
      trim();
      return;
    }
    if (e.key > key) break;
    at = e.end;
  }
  text_.insert(at, encoded(key) + encoded(payload));
  trim();
}

void StateTable::trim() {
  // A string grows by doubling: a table filled entry by entry would keep up to half of it unused.
  // A little room is left for payloads that change length (a power reading).
  if (text_.capacity() > text_.size() + text_.size() / 4 + 16) {
    std::string fitted;
    fitted.reserve(text_.size() + 8);
    fitted.append(text_);
    text_ = std::move(fitted);
  }
}

std::optional<std::string_view> StateTable::get(std::string_view key) const {
  std::optional<std::string_view> found;
  for_each([&](std::string_view k, std::string_view payload) {
    if (k == key) found = payload;
  });
  return found;
}

std::size_t StateTable::size() const {
  std::size_t n = 0;
  for_each([&](std::string_view, std::string_view) { ++n; });
  return n;
}

}  // namespace meross::bridge
