#pragma once

// Removing from Home Assistant what our retained discovery documents announced and the current
// ones no longer do (home-assistant.md §3). Pure.
//
// The bridge remembers of each document it published or read back only what removals() needs:
// keeping the full documents (a few KiB each) cost about 13 MB with 5,000 devices. A summary is
// the component ids and platforms of a device document; a per-component document needs nothing,
// its topic says what it announced.

#include <map>
#include <string>
#include <vector>

#include "discovery/discovery.hpp"

namespace meross::discovery {

struct DocumentSummary {
  // Device documents (<prefix>/device/<node>/config): the components that can be reduced to a
  // {"platform": p} stub, in document order, as one JSON object of id → platform, e.g.
  // {"switch_0":"switch","power":"sensor"}; empty for any other document. One short string per
  // document (a few hundred bytes for a plug, against about 1 KiB as a vector of string pairs),
  // and JSON keeps any id exactly as the document spelled it.
  std::string components;
  bool operator==(const DocumentSummary&) const = default;
};

// Our retained documents as the broker holds them: topic → summary.
using Summaries = std::map<std::string, DocumentSummary>;

// The summary of a document. It does not judge ownership: keep the summary of a document read
// back from the broker only if is_ours.
DocumentSummary summarize(const Publication& document, const Options& options);

// What to publish, before the current documents, so that what `previous` (our retained
// documents: published in this run, or read back from the broker at start-up and is_ours)
// announced and `current` no longer does goes away, in topic order:
// - a topic missing from `current` → empty retained payload (removes the entity, or with
//   device discovery the whole device);
// - a device document whose components shrank → the current document with each dropped
//   component added back as {"platform": "<p>"} (HA's documented way to drop one component);
//   the current document published afterwards then omits it.
std::vector<Publication> removals(const Summaries& previous,
                                  const std::vector<Publication>& current);

}  // namespace meross::discovery
