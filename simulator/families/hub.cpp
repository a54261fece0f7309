#include "simulator/families/hub.hpp"

#include <cctype>

namespace meross::sim::detail::hub {
namespace {

bool same_key(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

const JsonValue* member_any_case(const JsonValue& payload, std::string_view key) {
  if (const JsonValue* exact = member(payload, key)) return exact;
  if (!payload.IsObject()) return nullptr;
  for (const auto& m : payload.GetObject()) {
    if (same_key(std::string_view(m.name.GetString(), m.name.GetStringLength()), key)) {
      return &m.value;
    }
  }
  return nullptr;
}

std::string_view string_of(const JsonValue& object, std::string_view name) {
  return protocol::string_member(object, name).value_or(std::string_view());
}

struct Target {
  JsonValue* sub;
  const JsonValue* request;
};

// The sub-devices a SET names, with their request items; nullopt with `error` set when one is
// unknown, not `accept`ed or offline (nothing changes).
std::optional<std::vector<Target>> targets(Context& ctx, std::string_view key,
                                           const JsonValue& payload, Accept accept,
                                           std::optional<Answer>& error) {
  const auto requests = items_of(member(payload, key));
  std::vector<Target> out;
  for (const JsonValue* request : requests) {
    const auto id = protocol::string_member(*request, "id");
    JsonValue* sub = id ? find(ctx, *id) : nullptr;
    if (!sub || !accept(*sub)) break;
    if (!online(*sub)) {
      error = error_answer(5000, "subdevice offline");
      return std::nullopt;
    }
    out.push_back(Target{sub, request});
  }
  if (out.empty() || out.size() != requests.size()) {
    error = bad_payload();
    return std::nullopt;
  }
  return out;
}

std::optional<Answer> set(Context& ctx, const Setter& setter, const JsonValue& payload) {
  std::optional<Answer> error;
  auto subs = targets(ctx, setter.key, payload, setter.accept, error);
  if (!subs) return error;
  for (const auto& t : *subs) {
    if (!setter.fits(*t.sub, *t.request)) return bad_payload();
  }
  std::vector<const JsonValue*> changed;
  for (const auto& t : *subs) {
    setter.apply(ctx, *t.sub, *t.request);
    changed.push_back(t.sub);
  }
  if (setter.done) return setter.done(ctx, changed);
  if (setter.pushed) ctx.push(setter.ns, items(setter.key, changed, setter.pushed));
  return Answer{Method::SetAck, "{}"};
}

}  // namespace

JsonValue* subdevices(Context& ctx) {
  JsonValue* section = ctx.section("hub");
  JsonValue* list = section ? member(*section, "subdevice") : nullptr;
  return list && list->IsArray() ? list : nullptr;
}

const JsonValue* subdevices(const View& view) {
  const JsonValue* section = view.section("hub");
  const JsonValue* list = section ? member(*section, "subdevice") : nullptr;
  return list && list->IsArray() ? list : nullptr;
}

JsonValue* find(Context& ctx, std::string_view id) {
  JsonValue* list = subdevices(ctx);
  return list ? find_id(*list, id) : nullptr;
}

std::string_view id_of(const JsonValue& sub) {
  return string_of(sub, "id");
}

std::string_view type_of(const JsonValue& sub) {
  return string_of(sub, "type");
}

bool online(const JsonValue& sub) {
  return int_of(sub, "status") == 1;
}

bool is_valve(const JsonValue& sub) {
  const std::string_view type = type_of(sub);
  return type == "mts100" || type == "mts100v3" || type == "mts150" || type == "mts150p";
}

JsonValue* type_object(JsonValue& sub) {
  JsonValue* digest = member(sub, "digest");
  JsonValue* object = digest ? member(*digest, type_of(sub)) : nullptr;
  return object && object->IsObject() ? object : nullptr;
}

void touch(Context& ctx, JsonValue& sub) {
  set_int(sub, "lastActiveTime", ctx.now_s(), ctx.alloc());
}

void write_online(Writer& w, const JsonValue& sub) {
  w.StartObject();
  write_ints(w, sub, {"status", "lastActiveTime"});
  w.EndObject();
}

Answer get(const View& view, std::string_view key, const JsonValue& payload, Accept accept,
           ItemWriter write) {
  const JsonValue* asked = member_any_case(payload, key);
  if (!asked) return error_answer(5000, "invalid payload");
  std::vector<const JsonValue*> subs;
  const JsonValue* all = subdevices(view);
  if (all && asked->IsArray()) {
    if (asked->Empty()) {
      for (const auto& sub : all->GetArray()) {
        if (accept(sub)) subs.push_back(&sub);
      }
    }
    for (const auto& want : asked->GetArray()) {
      const auto id = protocol::string_member(want, "id");
      const JsonValue* sub = id ? find_id(*all, *id) : nullptr;
      if (sub && accept(*sub)) subs.push_back(sub);
    }
  }
  return Answer{Method::GetAck, items(key, subs, write)};
}

std::optional<Answer> read(const View& view, std::span<const Reader> readers, Method method,
                           std::string_view ns, const JsonValue& payload) {
  for (const Reader& r : readers) {
    if (r.ns != ns) continue;
    if (method == Method::Get) return get(view, r.key, payload, r.accept, r.write);
    if (method != Method::Push || !payload.IsObject() || !payload.ObjectEmpty()) break;
    std::vector<const JsonValue*> subs;
    if (const JsonValue* all = subdevices(view)) {
      for (const auto& sub : all->GetArray()) {
        if (r.accept(sub)) subs.push_back(&sub);
      }
    }
    return Answer{Method::Push, items(r.key, subs, r.write)};
  }
  return std::nullopt;
}

std::optional<Answer> answer(Context& ctx, std::span<const Reader> readers,
                             std::span<const Setter> setters, Method method, std::string_view ns,
                             const JsonValue& payload) {
  if (subdevices(ctx)) {
    if (auto answer = read(ctx.view(), readers, method, ns, payload)) return answer;
    for (const Setter& s : setters) {
      if (method == Method::Set && s.ns == ns) return set(ctx, s, payload);
    }
  }
  return recorded_answer(ctx, method, ns, payload);
}

std::string items(std::string_view key, const std::vector<const JsonValue*>& subs,
                  ItemWriter write) {
  return object_text([&](Writer& w) {
    write_list(w, key, subs, [&](const JsonValue* sub, Writer& out) {
      out.Key("id");
      const std::string_view id = id_of(*sub);
      out.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
      write(*sub, out);
    });
  });
}

JsonValue* command_target(Context& ctx, Command words, std::string_view verb, std::size_t count,
                          Accept accept) {
  if (words.size() != count || words[0] != verb) return nullptr;
  JsonValue* sub = find(ctx, words[1]);
  return sub && accept(*sub) ? sub : nullptr;
}

}  // namespace meross::sim::detail::hub
