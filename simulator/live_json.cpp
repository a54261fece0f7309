#include "simulator/live_json.hpp"

namespace meross::sim::detail {

JsonValue* member(JsonValue& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(JsonValue(ref(name)));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

const JsonValue* member(const JsonValue& object, std::string_view name) {
  return protocol::find_member(object, name);
}

void set(JsonValue& object, std::string_view name, JsonValue value, Alloc& alloc) {
  if (!object.IsObject()) return;
  if (JsonValue* existing = member(object, name)) {
    *existing = std::move(value);
  } else {
    object.AddMember(JsonValue(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc),
                     std::move(value), alloc);
  }
}

void set_string(JsonValue& object, std::string_view name, std::string_view value, Alloc& alloc) {
  set(object, name, JsonValue(value.data(), static_cast<rapidjson::SizeType>(value.size()), alloc),
      alloc);
}

JsonValue& ensure(JsonValue& object, std::string_view name, rapidjson::Type type, Alloc& alloc) {
  if (JsonValue* existing = member(object, name)) return *existing;
  set(object, name, JsonValue(type), alloc);
  return *member(object, name);
}

std::int64_t int_of(const JsonValue& object, std::string_view name, std::int64_t fallback) {
  return protocol::int_member(object, name).value_or(fallback);
}

JsonValue copy_of(const JsonValue& value, Alloc& alloc) {
  return JsonValue(value, alloc);
}

JsonValue int_object(std::initializer_list<std::pair<std::string_view, std::int64_t>> members,
                     Alloc& alloc) {
  JsonValue object(rapidjson::kObjectType);
  for (const auto& [name, value] : members)
    set_int(object, name, value, alloc);
  return object;
}

namespace {

template <class V>
V* find_by(V& list, std::string_view key, auto&& matches) {
  if (!list.IsArray()) return nullptr;
  for (auto& item : list.GetArray()) {
    const JsonValue* v = protocol::find_member(item, key);
    if (v && matches(*v)) return &item;
  }
  return nullptr;
}

}  // namespace

JsonValue* find_channel(JsonValue& list, std::int64_t channel) {
  return find_by(list, "channel",
                 [&](const JsonValue& v) { return protocol::to_int(v) == channel; });
}

const JsonValue* find_channel(const JsonValue& list, std::int64_t channel) {
  return find_by(list, "channel",
                 [&](const JsonValue& v) { return protocol::to_int(v) == channel; });
}

JsonValue* find_id(JsonValue& list, std::string_view id) {
  return find_by(list, "id", [&](const JsonValue& v) {
    return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == id;
  });
}

const JsonValue* find_id(const JsonValue& list, std::string_view id) {
  return find_by(list, "id", [&](const JsonValue& v) {
    return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == id;
  });
}

std::vector<const JsonValue*> items_of(const JsonValue* value) {
  std::vector<const JsonValue*> items;
  if (value) protocol::for_each_object(*value, [&](const JsonValue& v) { items.push_back(&v); });
  return items;
}

std::optional<std::int64_t> channel_of(const JsonValue& item, std::int64_t fallback) {
  const JsonValue* v = protocol::find_member(item, "channel");
  if (!v) return fallback;
  return protocol::to_int(*v);
}

std::optional<rapidjson::Document> parse_object(std::string_view text) {
  if (!protocol::json_nesting_at_most(text)) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  return doc;
}

std::string wrap(std::string_view key, const JsonValue& value) {
  return object_text([&](Writer& w) { write_member(w, key, value); });
}

std::string wrap_list(std::string_view key, const std::vector<const JsonValue*>& items) {
  return object_text([&](Writer& w) { write_values(w, key, items); });
}

void write_values(Writer& w, std::string_view key, const std::vector<const JsonValue*>& values) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.StartArray();
  for (const JsonValue* value : values)
    value->Accept(w);
  w.EndArray();
}

void copy_to_digest(const JsonValue* live, JsonValue& all, std::string_view key,
                    std::initializer_list<std::string_view> names, Alloc& alloc) {
  JsonValue* d = member(all, "digest");
  JsonValue* list = d ? member(*d, key) : nullptr;
  if (!live || !list || !list->IsArray()) return;
  for (auto& item : list->GetArray()) {
    const auto channel = protocol::int_member(item, "channel");
    const JsonValue* c = channel ? find_channel(*live, *channel) : nullptr;
    if (!c || !item.IsObject()) continue;
    for (const std::string_view name : names)
      set_int(item, name, int_of(*c, name), alloc);
  }
}

void write_ints(Writer& w, const JsonValue& state, std::initializer_list<std::string_view> names) {
  for (const std::string_view name : names) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.Int64(int_of(state, name));
  }
}

void write_member(Writer& w, std::string_view name, const JsonValue& value) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  value.Accept(w);
}

std::optional<std::int64_t> strict_int(const JsonValue& value) {
  if (value.IsInt64()) return value.GetInt64();
  return std::nullopt;
}

}  // namespace meross::sim::detail
