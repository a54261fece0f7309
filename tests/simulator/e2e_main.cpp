#define BOOST_TEST_MODULE simulator_e2e
#include <boost/test/unit_test.hpp>
