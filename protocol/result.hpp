#pragma once

#include <string>
#include <utility>
#include <variant>

namespace meross::protocol {

// Why a value could not be produced. `field` is the dotted path of the offending JSON member
// ("header.timestamp"), empty when the problem is not tied to one field. Messages never quote
// secret values: they name what was expected and what type arrived.
struct Error {
  std::string field;
  std::string message;

  std::string describe() const { return field.empty() ? message : field + ": " + message; }
};

// A value or the Error that prevented it (std::expected is C++23; GCC 12 builds C++20).
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace meross::protocol
