#define BOOST_TEST_MODULE web_unit
#include <boost/test/unit_test.hpp>

#include <spdlog/spdlog.h>

// Quiet by default: refused requests log warnings.
struct QuietLogs {
  QuietLogs() { spdlog::set_level(spdlog::level::off); }
};
BOOST_TEST_GLOBAL_FIXTURE(QuietLogs);
