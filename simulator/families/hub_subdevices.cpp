// Hubs msh300/msh300hk (device-families.md §2.1, §2.2): the sub-devices of the digest's
// hub.subdevice live (status, onoff, lastActiveTime), Appliance.Digest.Hub, Hub.Online,
// Hub.Battery, Hub.ToggleX (SET onoff per id, then a PUSH) and Hub.SubDevice.Version. The
// `subdevice <uuid> <id> online|offline` command PUSHes Hub.Online and the digest follows.
// Sub-devices that are offline keep answering GETs with their last values; SETs to them are
// refused (ERROR 5000 "subdevice offline").

#include <set>

#include "protocol/namespaces.hpp"
#include "simulator/families/hub.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

const JsonValue* digest_hub(const View& view) {
  const JsonValue* digest = view.digest();
  const JsonValue* hub = digest ? member(*digest, "hub") : nullptr;
  return hub && hub->IsObject() ? hub : nullptr;
}

// The recorded item of sub-device `id` in the GETACK of `ns` under `key`.
const JsonValue* recorded_item(const std::optional<rapidjson::Document>& doc, std::string_view key,
                               std::string_view id) {
  const JsonValue* list = doc ? member(*doc, key) : nullptr;
  return list ? find_id(*list, id) : nullptr;
}

// The only object-valued member of a digest item names the sub-device's type (§2.1).
std::string_view type_tag(const JsonValue& item) {
  for (const auto& m : item.GetObject()) {
    if (m.value.IsObject()) return std::string_view(m.name.GetString(), m.name.GetStringLength());
  }
  return {};
}

void seed(Context& ctx) {
  const View v = ctx.view();
  const JsonValue* hub = digest_hub(v);
  if (!hub) return;
  const auto toggles = v.recorded(ns::kHubToggleX);
  const auto batteries = v.recorded(ns::kHubBattery);
  const auto versions = v.recorded(ns::kHubSubDeviceVersion);
  auto& a = ctx.alloc();
  JsonValue& section = ctx.make_section("hub", rapidjson::kObjectType);
  JsonValue& list = ensure(section, "subdevice", rapidjson::kArrayType, a);
  std::set<std::string, std::less<>> seen;
  for (const JsonValue* item : items_of(member(*hub, "subdevice"))) {
    const auto id = protocol::string_member(*item, "id");
    if (!id || !seen.emplace(*id).second) continue;  // a duplicated id: the first one counts
    const JsonValue* toggle = recorded_item(toggles, "togglex", *id);
    const JsonValue* battery = recorded_item(batteries, "battery", *id);
    const JsonValue* version = recorded_item(versions, "version", *id);
    JsonValue sub(rapidjson::kObjectType);
    sub.AddMember("id", JsonValue(id->data(), static_cast<rapidjson::SizeType>(id->size()), a), a);
    const std::string_view type = type_tag(*item);
    sub.AddMember("type", JsonValue(type.data(), static_cast<rapidjson::SizeType>(type.size()), a),
                  a);
    sub.AddMember("status", int_of(*item, "status", 1) == 1 ? 1 : 2, a);
    sub.AddMember("onoff", toggle ? int_of(*toggle, "onoff") : int_of(*item, "onoff"), a);
    sub.AddMember("lastActiveTime", int_of(*item, "lastActiveTime"), a);
    sub.AddMember("battery", battery ? int_of(*battery, "value", 100) : 100, a);
    JsonValue ver(rapidjson::kObjectType);
    for (const char* name : {"hardware", "firmware"}) {
      const auto text = version ? protocol::string_member(*version, name) : std::nullopt;
      const std::string_view value = text.value_or("1.0.0");
      ver.AddMember(JsonValue(name, a),
                    JsonValue(value.data(), static_cast<rapidjson::SizeType>(value.size()), a), a);
    }
    sub.AddMember("version", ver, a);
    sub.AddMember("digest", copy_of(*item, a), a);
    list.PushBack(sub, a);
  }
}

// The sub-device's digest item as it is now.
JsonValue live_item(const JsonValue& sub, Alloc& alloc) {
  const JsonValue* stored = member(sub, "digest");
  JsonValue item = stored ? copy_of(*stored, alloc) : JsonValue(rapidjson::kObjectType);
  set_int(item, "status", int_of(sub, "status"), alloc);
  set_int(item, "lastActiveTime", int_of(sub, "lastActiveTime"), alloc);
  if (member(item, "onoff")) set_int(item, "onoff", int_of(sub, "onoff"), alloc);
  return item;
}

// digest.hub with the live sub-devices (a duplicated id of the trace appears once).
void write_hub(const View& view, JsonValue& hub, Alloc& alloc) {
  const JsonValue* subs = hub::subdevices(view);
  if (!subs || !hub.IsObject()) return;
  JsonValue list(rapidjson::kArrayType);
  for (const auto& sub : subs->GetArray())
    list.PushBack(live_item(sub, alloc), alloc);
  set(hub, "subdevice", std::move(list), alloc);
}

bool any(const JsonValue&) {
  return true;
}

void write_online(const JsonValue& sub, Writer& w) {
  write_ints(w, sub, {"status", "lastActiveTime"});
}

void write_battery(const JsonValue& sub, Writer& w) {
  w.Key("value");
  w.Int64(int_of(sub, "battery"));
}

void write_onoff(const JsonValue& sub, Writer& w) {
  write_ints(w, sub, {"onoff"});
}

void write_version(const JsonValue& sub, Writer& w) {
  const JsonValue* version = member(sub, "version");
  if (!version || !version->IsObject()) return;
  for (const auto& m : version->GetObject()) {
    w.Key(m.name.GetString(), m.name.GetStringLength());
    m.value.Accept(w);
  }
}

constexpr hub::Reader kReaders[] = {
    {ns::kHubOnline, "online", any, write_online},
    {ns::kHubBattery, "battery", any, write_battery},
    {ns::kHubToggleX, "togglex", any, write_onoff},
    {ns::kHubSubDeviceVersion, "version", any, write_version},
};

bool onoff_fits(const JsonValue&, const JsonValue& request) {
  const JsonValue* onoff = member(request, "onoff");
  const auto value = onoff ? strict_int(*onoff) : std::nullopt;
  return value && *value >= 0 && *value <= 1;
}

void apply_onoff(Context& ctx, JsonValue& sub, const JsonValue& request) {
  set_int(sub, "onoff", int_of(request, "onoff"), ctx.alloc());
}

constexpr hub::Setter kSetters[] = {
    {ns::kHubToggleX, "togglex", any, onoff_fits, apply_onoff, write_onoff},
};

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  if (method == Method::Get && ns == ns::kDigestHub && hub::subdevices(ctx)) {
    const View v = ctx.view();
    rapidjson::Document hub;
    hub.CopyFrom(*digest_hub(v), hub.GetAllocator());
    write_hub(v, hub, hub.GetAllocator());
    return Answer{Method::GetAck, wrap("hub", hub)};
  }
  return hub::answer(ctx, kReaders, kSetters, method, ns, payload);
}

void digest(const View& view, JsonValue& all, Alloc& alloc) {
  JsonValue* d = member(all, "digest");
  if (JsonValue* hub = d ? member(*d, "hub") : nullptr) write_hub(view, *hub, alloc);
}

std::optional<std::string> command(Context& ctx, Command words) {
  JsonValue* sub = hub::command_target(ctx, words, "subdevice", 3, any);
  if (!sub) return std::nullopt;
  if (words[2] != "online" && words[2] != "offline") return "subdevice: online or offline";
  const bool up = words[2] == "online";
  set_int(*sub, "status", up ? 1 : 2, ctx.alloc());
  if (up) hub::touch(ctx, *sub);
  ctx.push(ns::kHubOnline, hub::items("online", {sub}, write_online));
  return "";
}

void summary(const View& view, Writer& w) {
  if (const JsonValue* section = view.section("hub")) write_member(w, "hub", *section);
}

constexpr std::string_view kNamespaces[] = {ns::kDigestHub, ns::kHubOnline, ns::kHubBattery,
                                            ns::kHubToggleX, ns::kHubSubDeviceVersion};

}  // namespace

extern const Family hub_subdevices_family{
    .name = "hub_subdevices",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .digest = digest,
    .command = command,
    .summary = summary,
};

}  // namespace meross::sim::detail
