#include "discovery/summary.hpp"

#include <algorithm>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "discovery/keys.hpp"
#include "protocol/json.hpp"

namespace meross::discovery {
DocumentSummary summarize(const Publication& document, const Options& options) {
  DocumentSummary summary;
  // Only a device document can drop one component while its topic stays.
  if (document.topic.rfind(options.discovery_prefix + "/device/", 0) != 0) return summary;
  rapidjson::Document doc;
  if (!parse_document(document.payload, doc)) return summary;
  const auto* components = full_or_abbreviated(doc, "components", "cmps");
  if (!components || !components->IsObject()) return summary;
  rapidjson::StringBuffer text;
  rapidjson::Writer<rapidjson::StringBuffer> w(text);
  w.StartObject();
  bool any = false;
  for (const auto& component : components->GetObject()) {
    // Without a platform a component cannot be stubbed, so removals() leaves it alone.
    if (!component.value.IsObject()) continue;
    const auto* platform = full_or_abbreviated(component.value, "platform", "p");
    if (!platform || !platform->IsString()) continue;
    // The id with its full length, the platform up to a NUL: the stubs removals() writes from
    // summaries are byte for byte those it wrote from full documents.
    w.Key(component.name.GetString(), component.name.GetStringLength());
    w.String(platform->GetString());
    any = true;
  }
  w.EndObject();
  if (any) summary.components.assign(text.GetString(), text.GetSize());
  return summary;
}

std::vector<Publication> removals(const Summaries& previous,
                                  const std::vector<Publication>& current) {
  std::vector<Publication> out;
  for (const auto& entry : previous) {
    // Named rather than a structured binding: clang 14 (the fuzz build) cannot capture those.
    const std::string& topic = entry.first;
    const DocumentSummary& old = entry.second;
    const auto now = std::find_if(current.begin(), current.end(), [&](const Publication& p) {
      return p.topic == topic && !p.payload.empty();
    });
    if (now == current.end()) {
      out.push_back({topic, "", true, 1});
      continue;
    }
    // Only device documents have components that can be dropped while the topic stays.
    if (old.components.empty()) continue;
    rapidjson::Document after;
    after.Parse(now->payload.c_str());
    if (after.HasParseError() || !after.IsObject()) continue;
    auto new_components = after.FindMember("components");
    if (new_components == after.MemberEnd()) new_components = after.FindMember("cmps");
    if (new_components == after.MemberEnd() || !new_components->value.IsObject()) continue;
    rapidjson::Document before;  // written by summarize(): an object of strings
    before.Parse(old.components.data(), old.components.size());
    if (before.HasParseError() || !before.IsObject()) continue;
    auto& allocator = after.GetAllocator();
    bool dropped = false;
    for (const auto& [id, platform] : before.GetObject()) {
      if (new_components->value.HasMember(id) || !platform.IsString()) continue;
      rapidjson::Value stub(rapidjson::kObjectType);
      stub.AddMember("platform", rapidjson::Value(platform, allocator), allocator);
      new_components->value.AddMember(rapidjson::Value(id, allocator), stub, allocator);
      dropped = true;
    }
    if (dropped) out.push_back({topic, protocol::to_json(after), true, 1});
  }
  return out;
}

}  // namespace meross::discovery
