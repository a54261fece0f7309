#include <boost/test/unit_test.hpp>

#include "bridge/logging.hpp"

using meross::bridge::parse_log_level;

BOOST_AUTO_TEST_SUITE(logging)

BOOST_AUTO_TEST_CASE(levels) {
  BOOST_TEST((*parse_log_level("debug") == spdlog::level::debug));
  BOOST_TEST((*parse_log_level("warning") == spdlog::level::warn));
  BOOST_TEST((*parse_log_level("warn") == spdlog::level::warn));
  BOOST_TEST((*parse_log_level("off") == spdlog::level::off));
  BOOST_TEST(!parse_log_level("loud"));
}

BOOST_AUTO_TEST_SUITE_END()
