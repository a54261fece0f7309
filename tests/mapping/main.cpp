#define BOOST_TEST_MODULE mapping
#include <boost/test/unit_test.hpp>
