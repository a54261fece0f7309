#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "protocol/envelope.hpp"
#include "protocol/trace.hpp"
#include "support/fixtures.hpp"

using namespace meross::protocol;

BOOST_AUTO_TEST_SUITE(trace_reader)

BOOST_AUTO_TEST_CASE(every_fixture_trace_parses) {
  const auto files = meross::test::trace_files();
  BOOST_TEST(files.size() >= 19u);
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    BOOST_TEST_CONTEXT(name) {
      auto trace = parse_trace(name, meross::test::read_file(path));
      BOOST_REQUIRE_MESSAGE(trace.ok(), (trace.ok() ? "" : trace.error().describe()));
      BOOST_TEST(trace->uuid.size() == 32u);
      BOOST_TEST(trace->key == "pippo");
      BOOST_TEST(!trace->rows.empty());
      rapidjson::Document doc;
      doc.Parse(trace->all_json.c_str());
      BOOST_TEST((!doc.HasParseError() && doc.HasMember("all")));
      doc.Parse(trace->ability_json.c_str());
      BOOST_TEST((!doc.HasParseError() && doc.HasMember("ability")));
      for (const TraceRow& row : trace->rows) {
        BOOST_TEST(method_from_string(row.method).has_value(), row.method);
        BOOST_TEST(row.ns.rfind("Appliance.", 0) == 0u, row.ns);
        doc.Parse(row.payload_json.c_str());
        BOOST_TEST((!doc.HasParseError() && doc.IsObject()), row.ns);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(formats_are_detected) {
  BOOST_TEST(meross::test::load_trace("mrs100-1631368847.csv").format == "tsv-v0");
  BOOST_TEST(meross::test::load_trace("891A-Kpippo-mss310.csv").format == "tsv-v1");
  BOOST_TEST(meross::test::load_trace("mss305.json.txt").format == "json-diag-v1");
  const Trace t = meross::test::load_trace("mss310.2024-04-29");
  BOOST_TEST(t.label == "mss310.2024-04-29_23-52-45");
  BOOST_TEST(t.uuid == "0123456789012345678901234567891B");
}

BOOST_AUTO_TEST_CASE(v0_rows_have_no_direction) {
  const Trace t = meross::test::load_trace("msg100-1637650619.csv");
  bool saw_garage = false;
  for (const auto& row : t.rows) {
    BOOST_TEST(row.rxtx.empty());
    saw_garage |= row.ns == "Appliance.GarageDoor.State" && row.method == "GETACK";
  }
  BOOST_TEST(saw_garage);
}

BOOST_AUTO_TEST_CASE(diagnostics_keep_namespace_pushes) {
  const Trace t = meross::test::load_trace("mss100.json.txt");
  bool togglex = false;
  for (const auto& [ns, payload] : t.namespace_pushes) {
    togglex |= ns == "Appliance.Control.ToggleX" && payload.find("togglex") != std::string::npos;
  }
  BOOST_TEST(togglex);
}

BOOST_AUTO_TEST_CASE(v2_tsv_with_header_row) {
  const std::string text =
      "time\trxtx\tprotocol\tmethod\tnamespace\tdata\n"
      "2024/01/01 - 00:00:00\t\tauto\tHEADER\t\t{\"version\":2,\"config\":{\"payload\":"
      "{\"all\":{\"system\":{\"hardware\":{\"type\":\"mss310\"}}},\"ability\":{}}}}\n"
      "2024/01/01 - 00:00:01\tRX\tmqtt\tPUSH\tAppliance.Control.ToggleX\t"
      "{\"togglex\":[{\"channel\":0,\"onoff\":1}]}\n";
  auto t = parse_trace("Uabcdefabcdefabcdefabcdefabcdefab-Kk-x.csv", text);
  BOOST_REQUIRE(t.ok());
  BOOST_TEST(t->format == "tsv-v2");
  BOOST_TEST(t->rows.size() == 1u);
  BOOST_TEST(t->rows[0].rxtx == "RX");
  BOOST_TEST(t->all_json.find("mss310") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(short_rows_in_a_six_column_trace) {
  // Found by fuzz_trace: a five-field row in a v1 file read past the end of the row.
  const std::string text =
      "t\t\tauto\tGETACK\tAppliance.System.All\t{\"system\":{\"hardware\":{\"type\":\"x\"}}}\n"
      "t\t\tauto\tGETACK\tAppliance.System.Ability\t{}\n"
      "t\tRX\tmqtt\tPUSH\tAppliance.Control.ToggleX\n";
  auto t = parse_trace("x.csv", text);
  BOOST_REQUIRE(t.ok());
  BOOST_TEST(t->rows.size() == 1u);
  BOOST_TEST(t->rows[0].payload_json.empty());
}

BOOST_AUTO_TEST_CASE(broken_traces_are_errors_not_crashes) {
  BOOST_TEST(!parse_trace("x.csv", "").ok());
  BOOST_TEST(!parse_trace("x.csv", "a\tb\n").ok());
  BOOST_TEST(!parse_trace("x.json.txt", "{\"data\":").ok());
  // Found by the mapping engineer: a million nested arrays overflowed RapidJSON's recursion.
  BOOST_TEST(!parse_trace("x.json.txt", "{\"data\":" + std::string(1000000, '[') +
                                            std::string(1000000, ']') + "}")
                  .ok());
  BOOST_TEST(!parse_trace("x.json.txt", "{\"data\":{}}").ok());
  BOOST_TEST(!parse_trace("x.csv",
                          "t\t\tauto\tGETACK\tAppliance.System.Ability\t{}\n"
                          "t\t\tauto\tGETACK\tAppliance.System.All\t{}\n")
                  .ok());
}

BOOST_AUTO_TEST_SUITE_END()
