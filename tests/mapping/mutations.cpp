#include "mapping/mutations.hpp"

#include <set>

#include <rapidjson/pointer.h>
#include <boost/test/unit_test.hpp>

namespace meross::test {
namespace {

// Wrong types, out of range integers, a decimal where tenths are integers, and lists whose
// items carry a channel or a sub-device id of the wrong type.
const char* const kWrongValues[] = {R"("x")",
                                    "[]",
                                    "{}",
                                    "null",
                                    "-1",
                                    "4294967295",
                                    "1e300",
                                    "12.5",
                                    "true",
                                    R"([{"channel":"0"}])",
                                    R"([{"id":5}])",
                                    "-9223372036854775808"};

void collect(const rapidjson::Value& value, const std::string& path,
             std::vector<std::string>& out) {
  out.push_back(path);
  if (value.IsObject()) {
    for (const auto& m : value.GetObject()) {
      collect(m.value, path + "/" + m.name.GetString(), out);
    }
  } else if (value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      collect(value[i], path + "/" + std::to_string(i), out);
    }
  }
}

}  // namespace

Samples trace_samples(const protocol::Trace& trace,
                      const std::function<bool(const protocol::TraceRow&)>& keep) {
  Samples samples{{"Appliance.System.All", trace.all_json}};
  std::set<std::string> seen;
  for (const auto& row : trace.rows) {
    if (row.rxtx != "TX" && keep(row) && seen.insert(row.ns).second) {
      samples.emplace_back(row.ns, row.payload_json);
    }
  }
  return samples;
}

std::size_t for_each_mutation(const std::string& payload, std::size_t max_pointers,
                              const std::function<void(const rapidjson::Document&)>& check) {
  rapidjson::Document original;
  original.Parse(payload.c_str());
  BOOST_REQUIRE_MESSAGE(!original.HasParseError(), "not JSON: " + payload.substr(0, 80));
  std::vector<std::string> pointers;
  collect(original, "", pointers);
  if (pointers.size() > max_pointers) pointers.resize(max_pointers);
  std::size_t runs = 0;
  for (const auto& pointer : pointers) {
    for (const char* replacement : kWrongValues) {
      rapidjson::Document doc;
      doc.CopyFrom(original, doc.GetAllocator());
      rapidjson::Document value;
      value.Parse(replacement);
      if (pointer.empty()) {
        doc.CopyFrom(value, doc.GetAllocator());
      } else {
        rapidjson::Pointer(pointer.c_str()).Set(doc, value, doc.GetAllocator());
      }
      check(doc);
      ++runs;
    }
  }
  return runs;
}

}  // namespace meross::test
