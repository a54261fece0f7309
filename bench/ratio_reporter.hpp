#pragma once

// Google Benchmark's console report, followed by each benchmark as a ratio of its baseline from
// the same run. CPU time: the machines this runs on are shared, and wall time would include the
// other processes. Ratios are reported, never asserted.

#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

namespace meross::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // `summary` runs after the console output; it calls ratio() and time() to print its lines.
  explicit RatioReporter(std::function<void(const RatioReporter&)> summary)
      : summary_(std::move(summary)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      if (!run.error_occurred) times_[run.benchmark_name()] = run.GetAdjustedCPUTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    summary_(*this);
  }

  std::optional<double> time(const std::string& name) const {
    const auto it = times_.find(name);
    return it == times_.end() ? std::nullopt : std::optional<double>(it->second);
  }
  // Prints "cpu_ns NAME = t" for every benchmark that ran (bench/run_all.py reads these).
  void print_times() const {
    for (const auto& [name, ns] : times_)
      std::printf("cpu_ns %s = %.0f\n", name.c_str(), ns);
  }
  // Prints "ratio NAME / BASELINE = r" when both ran.
  void ratio(const std::string& name, const std::string& baseline) const {
    const auto t = time(name);
    const auto b = time(baseline);
    if (!t || !b || *b <= 0) return;
    std::printf("ratio %s / %s = %.2f\n", name.c_str(), baseline.c_str(), *t / *b);
  }

 private:
  std::function<void(const RatioReporter&)> summary_;
  std::map<std::string, double> times_;
};

// Runs the registered benchmarks with a RatioReporter; for main().
inline int run_with_ratios(int argc, char** argv,
                           std::function<void(const RatioReporter&)> summary) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter(std::move(summary));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace meross::bench
