#include "simulator/family.hpp"

namespace meross::sim::detail {

Answer error_answer(int code, std::string_view detail) {
  return Answer{Method::Error, object_text([&](Writer& w) {
                  w.Key("error");
                  w.StartObject();
                  w.Key("code");
                  w.Int(code);
                  w.Key("detail");
                  w.String(detail.data(), static_cast<rapidjson::SizeType>(detail.size()));
                  w.EndObject();
                })};
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

const JsonValue* View::digest() const {
  const JsonValue* all = member(tmpl.all, "all");
  return all ? member(*all, "digest") : nullptr;
}

const JsonValue* View::control() const {
  const JsonValue* all = member(tmpl.all, "all");
  return all ? member(*all, "control") : nullptr;
}

std::optional<rapidjson::Document> View::recorded(std::string_view ns) const {
  auto it = tmpl.recorded.find(ns);
  if (it == tmpl.recorded.end()) return std::nullopt;
  return parse_object(it->second);
}

std::optional<Answer> recorded_answer(Context& ctx, Method method, std::string_view ns,
                                      const JsonValue& payload) {
  auto it = ctx.tmpl.recorded.find(ns);
  const bool have = it != ctx.tmpl.recorded.end();
  if (method == Method::Get) return Answer{Method::GetAck, have ? it->second : "{}"};
  if (method == Method::Set) return Answer{Method::SetAck, "{}"};
  // A PUSH query: answered with data when there is some (meross-protocol.md §1.3).
  if (method == Method::Push && have && payload.IsObject() && payload.ObjectEmpty()) {
    return Answer{Method::Push, it->second};
  }
  return std::nullopt;
}

}  // namespace meross::sim::detail
