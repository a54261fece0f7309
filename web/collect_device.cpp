#include "web/collect_device.hpp"

namespace meross::web {

DevicePage collect_device_page(const bridge::DeviceRegistry& registry,
                               const bridge::HomeAssistant& ha, const DeviceRow& row,
                               const MessageLog& messages, std::optional<RenameNote> rename) {
  DevicePage page;
  page.device = row;
  for (const auto& e : ha.entities(row.uuid)) {
    page.entities.push_back(EntityRow{e.key, std::string(mapping::to_string(e.component)), e.name,
                                      std::string(mapping::to_string(e.category)), e.sub_device,
                                      ha.last_state(row.uuid, e.key)});
  }
  if (const auto* session = registry.find(row.uuid); session && session->profile()) {
    for (const auto& [ns, params] : session->profile()->abilities)
      page.abilities.emplace_back(ns, params);
  }
  page.messages = messages.messages(bridge::lower_uuid(row.uuid));
  page.rename = std::move(rename);
  return page;
}

}  // namespace meross::web
