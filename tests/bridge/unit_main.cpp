#define BOOST_TEST_MODULE bridge_unit
#include <boost/test/unit_test.hpp>

#include <spdlog/spdlog.h>

// Quiet by default; tests that look at logs capture them (log_capture.hpp).
struct QuietLogs {
  QuietLogs() { spdlog::set_level(spdlog::level::off); }
};
BOOST_TEST_GLOBAL_FIXTURE(QuietLogs);
