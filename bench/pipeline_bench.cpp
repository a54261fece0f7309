// In-process cost of handling one device PUSH the way the bridge does, and of building a
// device's Home Assistant discovery, as ratios against baselines measured in the same run
// (docs/architecture.md "Testing": ratios, never timed assertions).
//
// Per PUSH: parse_message → verify_sign → mapping::states_from → the state publications (topic
// and payload strings the bridge hands to MQTT). Payloads are the ones the fixture traces
// recorded (mss310 ToggleX and Electricity, msl320 Light), wrapped in a signed PUSH envelope.
// Baselines: a bare RapidJSON parse of the same bytes, and a raw forward (the bytes copied into
// a publication on a topic, what a broker-to-broker relay costs at the least).
// With simdjson (libsimdjson-dev; optional, bench only): the same bytes parsed by a reused
// simdjson DOM parser, and read on demand the way our path reads them, to price what adopting
// simdjson in protocol/ would save per PUSH (issue 19); against them also the parse our path
// does (protocol::JsonDocument, cheaper than the bare RapidJSON baseline).
// Discovery: mapping::entities_for + discovery::device_config for the mss310 trace profile and
// the msl320 bulb; baseline: a RapidJSON parse of the document it produces.
// `--pushes-out=FILE` also writes the PUSHes to FILE for bench/python_push_baseline.py.

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#ifdef MEROSS_BENCH_SIMDJSON
#include <simdjson.h>
#endif

#include "bench/ratio_reporter.hpp"
#include "discovery/discovery.hpp"
#include "discovery/inspect.hpp"
#include "discovery/topics.hpp"
#include "mapping/mapping.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json_document.hpp"
#include "protocol/signing.hpp"
#include "protocol/trace.hpp"

namespace {

using namespace meross;

constexpr const char* kKey = "meross-bench-key";
constexpr std::int64_t kNow = 1700000000;

std::string read_file(const std::string& name) {
  const std::string path = std::string(MEROSS_FIXTURES_DIR) + "/traces/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

constexpr const char* kMss310 = "U0123456789012345678901234567891A-Kpippo-mss310.csv";
constexpr const char* kMsl320 = "U0123456789012345678901234567890B-Kpippo-msl320.json.txt";

protocol::DeviceProfile profile_of(const char* file) {
  auto profile = discovery::profile_from_file(file, read_file(file));
  if (!profile) throw std::runtime_error(std::string(file) + ": " + profile.error().describe());
  return std::move(profile).value();
}

// The first payload the trace recorded for `ns` from the device (GETACK or PUSH: same shape).
std::string recorded_payload(const char* file, const std::string& ns) {
  auto trace = protocol::parse_trace(file, read_file(file));
  if (!trace) throw std::runtime_error(std::string(file) + ": " + trace.error().describe());
  for (const auto& row : trace->rows) {
    if (row.ns == ns && (row.method == "GETACK" || row.method == "PUSH")) return row.payload_json;
  }
  throw std::runtime_error(std::string(file) + ": no payload for " + ns);
}

struct Push {
  protocol::DeviceProfile profile;
  std::string uuid;
  std::string ns;
  std::string bytes;  // the whole signed message as the device publishes it
};

Push make_push(const char* file, const std::string& ns) {
  Push push{profile_of(file), {}, ns, {}};
  push.uuid = push.profile.uuid;
  const auto header = protocol::make_request_header(
      protocol::Method::Push, ns, "/appliance/" + push.uuid + "/publish", kKey, kNow);
  push.bytes = protocol::serialize(header, recorded_payload(file, ns));
  return push;
}

// The PUSHes measured, by the kind their benchmarks are named after.
struct PushCase {
  const char* kind;
  const char* file;
  const char* ns;
};
constexpr PushCase kPushes[] = {
    {"togglex", kMss310, "Appliance.Control.ToggleX"},
    {"electricity", kMss310, "Appliance.Control.Electricity"},
    {"light", kMsl320, "Appliance.Control.Light"},
};

// The devices whose discovery is measured, by the name their benchmarks carry.
struct DiscoveryCase {
  const char* device;
  const char* file;
};
constexpr DiscoveryCase kDiscoveries[] = {{"mss310", kMss310}, {"msl320", kMsl320}};

struct Publication {
  std::string topic;
  std::string payload;
};

// The bridge's work for one device message; returns the publications it would make.
std::size_t handle(const Push& push, mapping::DeviceState& state, std::vector<Publication>& out) {
  out.clear();
  auto message = protocol::parse_message(push.bytes);
  if (!message) return 0;
  const auto& h = message->header;
  if (!protocol::verify_sign(h.message_id, kKey, h.timestamp, h.sign)) return 0;
  auto batch = mapping::states_from(push.profile, state, h.ns, h.method, message->payload(),
                                    mapping::Context{kNow});
  if (!batch) return 0;
  for (auto& update : batch->updates) {
    out.push_back({discovery::state_topic("meross", push.uuid, update.entity_key),
                   std::move(update.payload)});
  }
  return out.size();
}

void run_pipeline(benchmark::State& state, const Push& push) {
  mapping::DeviceState device;
  std::vector<Publication> out;
  if (handle(push, device, out) == 0) {
    state.SkipWithError("the PUSH maps to no state");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(handle(push, device, out));
    benchmark::ClobberMemory();
  }
  state.counters["states"] = static_cast<double>(out.size());
  state.counters["bytes"] = static_cast<double>(push.bytes.size());
}

void run_rapidjson(benchmark::State& state, const Push& push) {
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse(push.bytes.data(), push.bytes.size());
    benchmark::DoNotOptimize(doc);
  }
}

// The parse parse_message does: what replacing the parser would save at most.
void run_json_document(benchmark::State& state, const Push& push) {
  for (auto _ : state) {
    auto document = protocol::JsonDocument::parse(push.bytes, protocol::kMaxJsonNesting);
    benchmark::DoNotOptimize(document.root());
  }
}

#ifdef MEROSS_BENCH_SIMDJSON
// A DOM parse by one parser reused across messages, as the bridge would keep one. Parsing from
// the unpadded bytes makes simdjson copy them into its padded buffer, as it would have to with
// a message mosquitto hands over.
void run_simdjson_dom(benchmark::State& state, const Push& push) {
  simdjson::dom::parser parser;
  for (auto _ : state) {
    auto root = parser.parse(push.bytes.data(), push.bytes.size());
    if (root.error()) {
      state.SkipWithError(simdjson::error_message(root.error()));
      return;
    }
    benchmark::DoNotOptimize(root.value_unsafe());
  }
}

// Every scalar under `value`, read as our mapping reads them (numbers, strings, booleans);
// returns how many were read. On demand, a value not read is not parsed.
std::size_t read_all(simdjson::ondemand::value value) {
  using simdjson::ondemand::json_type;
  std::size_t read = 0;
  switch (value.type()) {
    case json_type::object:
      for (auto field : value.get_object())
        read += read_all(field.value());
      return read;
    case json_type::array:
      for (auto item : value.get_array())
        read += read_all(item.value());
      return read;
    case json_type::number:
      benchmark::DoNotOptimize(value.get_number().value());
      break;
    case json_type::string:
      benchmark::DoNotOptimize(value.get_string().value());
      break;
    case json_type::boolean:
      benchmark::DoNotOptimize(value.get_bool().value());
      break;
    case json_type::null:
      benchmark::DoNotOptimize(value.is_null());
      break;
  }
  return 1;
}

// What parse_message and the mapping read, on demand: the header fields the signature check and
// dispatch need, then every value of the payload. The bytes are copied into a padded buffer
// first (on demand requires the padding; a message from mosquitto has none).
std::size_t read_on_demand(simdjson::ondemand::parser& parser, std::string& padded,
                           const std::string& bytes) {
  padded.assign(bytes);
  auto doc = parser.iterate(padded.data(), padded.size(), padded.capacity());
  auto header = doc["header"].get_object();
  std::size_t read = 0;
  for (const char* name : {"messageId", "namespace", "method", "sign"}) {
    benchmark::DoNotOptimize(header[name].get_string().value());
    ++read;
  }
  benchmark::DoNotOptimize(header["timestamp"].get_int64().value());
  return read + 1 + read_all(doc["payload"]);
}

void run_simdjson_on_demand(benchmark::State& state, const Push& push) {
  simdjson::ondemand::parser parser;
  std::string padded;
  padded.reserve(push.bytes.size() + simdjson::SIMDJSON_PADDING);
  std::size_t read = 0;
  try {
    for (auto _ : state) {
      read = read_on_demand(parser, padded, push.bytes);
      benchmark::DoNotOptimize(read);
    }
  } catch (const simdjson::simdjson_error& error) {
    state.SkipWithError(error.what());
    return;
  }
  state.counters["values"] = static_cast<double>(read);
}
#endif

void run_forward(benchmark::State& state, const Push& push) {
  std::vector<Publication> out;
  for (auto _ : state) {
    out.clear();
    out.push_back({"/appliance/" + push.uuid + "/publish", push.bytes});
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
}

void run_discovery(benchmark::State& state, const char* file) {
  const auto profile = profile_of(file);
  const discovery::Options options;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto entities = mapping::entities_for(profile);
    auto documents = discovery::device_config(profile, entities, options);
    bytes = documents.empty() ? 0 : documents.front().payload.size();
    benchmark::DoNotOptimize(documents.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void run_discovery_baseline(benchmark::State& state, const char* file) {
  const auto profile = profile_of(file);
  const auto documents =
      discovery::device_config(profile, mapping::entities_for(profile), discovery::Options{});
  const std::string text = documents.empty() ? "{}" : documents.front().payload;
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    benchmark::DoNotOptimize(doc);
  }
}

// Per PUSH kind its two baselines, then the pipeline; per device the baseline, then discovery.
void register_benchmarks() {
  for (const auto& c : kPushes) {
    const auto push = std::make_shared<const Push>(make_push(c.file, c.ns));
    const std::string kind = c.kind;
    benchmark::RegisterBenchmark(("BM_baseline_parse_" + kind).c_str(),
                                 [push](benchmark::State& s) { run_rapidjson(s, *push); });
    benchmark::RegisterBenchmark(("BM_json_document_parse_" + kind).c_str(),
                                 [push](benchmark::State& s) { run_json_document(s, *push); });
#ifdef MEROSS_BENCH_SIMDJSON
    benchmark::RegisterBenchmark(("BM_baseline_simdjson_parse_" + kind).c_str(),
                                 [push](benchmark::State& s) { run_simdjson_dom(s, *push); });
    benchmark::RegisterBenchmark(("BM_baseline_simdjson_ondemand_" + kind).c_str(),
                                 [push](benchmark::State& s) { run_simdjson_on_demand(s, *push); });
#endif
    benchmark::RegisterBenchmark(("BM_baseline_forward_" + kind).c_str(),
                                 [push](benchmark::State& s) { run_forward(s, *push); });
    benchmark::RegisterBenchmark(("BM_push_" + kind).c_str(),
                                 [push](benchmark::State& s) { run_pipeline(s, *push); });
  }
  for (const auto& c : kDiscoveries) {
    const std::string device = c.device;
    const char* file = c.file;
    benchmark::RegisterBenchmark(("BM_baseline_discovery_parse_" + device).c_str(),
                                 [file](benchmark::State& s) { run_discovery_baseline(s, file); });
    benchmark::RegisterBenchmark(("BM_discovery_" + device).c_str(),
                                 [file](benchmark::State& s) { run_discovery(s, file); });
  }
}

// Writes each PUSH measured as a "kind<TAB>message" line, for bench/python_push_baseline.py to
// handle the very same bytes in the same run.
void write_pushes(const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  for (const auto& c : kPushes) {
    const auto push = make_push(c.file, c.ns);
    if (push.bytes.find('\n') != std::string::npos) throw std::runtime_error("PUSH spans lines");
    out << c.kind << '\t' << push.bytes << '\n';
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

// Takes `--pushes-out=FILE` out of the arguments (Google Benchmark rejects flags it does not
// know) and returns FILE, or "" without it.
std::string take_pushes_out(int& argc, char** argv) {
  constexpr std::string_view kFlag = "--pushes-out=";
  std::string path;
  int kept = 0;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i > 0 && arg.substr(0, kFlag.size()) == kFlag) {
      path = arg.substr(kFlag.size());
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return path;
}

}  // namespace

// After the console output: each benchmark as a ratio of its baselines from the same run, and
// the absolute CPU ns per PUSH (the target is ≤ 2 µs per PUSH; reported, not asserted).
int main(int argc, char** argv) {
  if (const auto path = take_pushes_out(argc, argv); !path.empty()) write_pushes(path);
  register_benchmarks();
  return meross::bench::run_with_ratios(argc, argv, [](const meross::bench::RatioReporter& r) {
    r.print_times();
#ifdef MEROSS_BENCH_SIMDJSON
    // Which kernel simdjson chose at run time (haswell, icelake, ...): the figures depend on it.
    std::printf("simdjson implementation = %s\n",
                simdjson::get_active_implementation()->name().c_str());
#endif
    for (const auto& c : kPushes) {
      const std::string name = std::string("BM_push_") + c.kind;
      r.ratio(name, std::string("BM_baseline_parse_") + c.kind);
      r.ratio(name, std::string("BM_baseline_forward_") + c.kind);
      for (const char* parse : {"BM_json_document_parse_", "BM_baseline_simdjson_parse_",
                                "BM_baseline_simdjson_ondemand_"})
        r.ratio(parse + std::string(c.kind), std::string("BM_baseline_parse_") + c.kind);
      if (const auto ns = r.time(name)) std::printf("ns_per_push %s = %.0f\n", c.kind, *ns);
    }
    for (const auto& c : kDiscoveries) {
      const std::string name = std::string("BM_discovery_") + c.device;
      r.ratio(name, std::string("BM_baseline_discovery_parse_") + c.device);
      if (const auto ns = r.time(name)) std::printf("ns_per_discovery %s = %.0f\n", c.device, *ns);
    }
  });
}
