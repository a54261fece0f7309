// In-process cost of the protocol layer, as ratios against a baseline measured in the same run:
// parse_message vs. a bare RapidJSON parse of the same bytes, and signing vs. one MD5.

#include <cstdio>
#include <map>
#include <string>

#include <benchmark/benchmark.h>
#include <rapidjson/document.h>

#include "bench/ratio_reporter.hpp"
#include "protocol/envelope.hpp"
#include "protocol/signing.hpp"

namespace {

using namespace meross::protocol;

const std::string kPush = serialize(make_request_header(Method::Push, "Appliance.Control.ToggleX",
                                                        "/appliance/u/publish", "key", 1700000000),
                                    R"({"togglex":[{"channel":0,"onoff":1,"lmTime":1700000000}]})");

void BM_baseline_rapidjson_parse(benchmark::State& state) {
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse(kPush.data(), kPush.size());
    benchmark::DoNotOptimize(doc);
  }
}
BENCHMARK(BM_baseline_rapidjson_parse);

void BM_parse_message(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(parse_message(kPush));
}
BENCHMARK(BM_parse_message);

void BM_baseline_md5(benchmark::State& state) {
  const std::string input = "0123456789abcdef0123456789abcdefmeross1700000000";
  for (auto _ : state)
    benchmark::DoNotOptimize(md5_hex(input));
}
BENCHMARK(BM_baseline_md5);

void BM_sign_and_verify(benchmark::State& state) {
  const std::string id = "0123456789abcdef0123456789abcdef";
  for (auto _ : state) {
    const auto sign = compute_sign(id, "meross", 1700000000);
    benchmark::DoNotOptimize(verify_sign(id, "meross", 1700000000, sign));
  }
}
BENCHMARK(BM_sign_and_verify);

}  // namespace

int main(int argc, char** argv) {
  return meross::bench::run_with_ratios(argc, argv, [](const meross::bench::RatioReporter& r) {
    r.ratio("BM_parse_message", "BM_baseline_rapidjson_parse");
    r.ratio("BM_sign_and_verify", "BM_baseline_md5");
  });
}
