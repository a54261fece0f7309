#pragma once

// The last messages to and from the devices whose page is open (the device page's list).
//
// Recorded only for watched devices (at most kMaxWatched at once) and only while they are: a
// fleet of thousands costs nothing when nobody looks, and a device page costs at most
// kEntriesPerDevice entries of at most kMaxPayloadBytes each (about 60 kB). A device no page has
// asked about for a while (WebCompanion's kWatchTime) is forgotten with its messages.
//
// Each entry keeps the method, the namespace and the payload with its secrets masked
// (mask_message): never the header (its `sign`), never the raw text.

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace meross::web {

inline constexpr std::size_t kMaxWatched = 4;
inline constexpr std::size_t kEntriesPerDevice = 50;
inline constexpr std::size_t kMaxPayloadBytes = 1024;

struct MessageEntry {
  std::int64_t time_ms = 0;  // epoch milliseconds
  bool outgoing = false;     // from the bridge to the device
  std::string method;        // "GET", "PUSH", … ("?" when not a Meross message)
  std::string ns;            // the namespace ("?" when not a Meross message)
  std::string payload;       // masked JSON text, cut at kMaxPayloadBytes
};

// A Meross message's method, namespace and payload with secrets masked: every `sign`, `key`,
// `password`, `userId`, `token` and `ssid` value (Wi-Fi credentials, the signing key and what an
// MQTT password is made of) becomes "***", and an Appliance.Config.Info payload (HomeKit/Matter
// setup codes) is hidden whole. Not a Meross message: method and namespace "?", and a payload
// that only says so (the text itself is never kept).
MessageEntry mask_message(std::string_view json);

class MessageLog {
 public:
  // The devices to record from now on (lower-case uuids, at most kMaxWatched are kept); the
  // messages of devices no longer in the list are dropped.
  void watch(const std::vector<std::string>& uuids);
  // A message on a device topic: /appliance/<uuid>/publish (from it) or …/subscribe (to it).
  void record(bool outgoing, std::string_view topic, std::string_view payload,
              std::int64_t time_ms);
  // Oldest first; none when the device is not watched.
  const std::deque<MessageEntry>& messages(const std::string& uuid) const;
  bool watched(const std::string& uuid) const { return rings_.count(uuid) != 0; }

 private:
  std::map<std::string, std::deque<MessageEntry>, std::less<>> rings_;  // by lower-case uuid
};

}  // namespace meross::web
