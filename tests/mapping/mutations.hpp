#pragma once

// Bad input never crashes: the mutation tests (mutation_test.cpp, and the thermostat's and hub's
// own in thermostat_test.cpp and hub_test.cpp) replace each value of real device payloads, one
// at a time, by a value of the wrong type or range, and see what the mapping makes of it.

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "protocol/trace.hpp"

namespace meross::test {

// (namespace, payload) pairs to mutate.
using Samples = std::vector<std::pair<std::string, std::string>>;

// The trace's System.All, then the first device message (not a TX row) of each namespace that
// `keep` takes, in file order.
Samples trace_samples(const protocol::Trace& trace,
                      const std::function<bool(const protocol::TraceRow&)>& keep);

// Calls `check` once for each of the first `max_pointers` JSON pointers of `payload` (the root
// first, then every member and element in document order) and each wrong value: with a copy of
// the payload whose value at that pointer is replaced. Returns the number of calls.
std::size_t for_each_mutation(const std::string& payload, std::size_t max_pointers,
                              const std::function<void(const rapidjson::Document&)>& check);

}  // namespace meross::test
