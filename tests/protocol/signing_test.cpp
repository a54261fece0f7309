#include <set>

#include <boost/test/unit_test.hpp>

#include "protocol/signing.hpp"

using namespace meross::protocol;

BOOST_AUTO_TEST_SUITE(signing)

BOOST_AUTO_TEST_CASE(sign_vectors) {
  BOOST_TEST(compute_sign("", "", 0) == "cfcd208495d565ef66e7dff9f98764da");
  BOOST_TEST(compute_sign("0123456789abcdef0123456789abcdef", "meross", 1700000000) ==
             "6a8923778cfd1aeb95f603c33b999313");
}

BOOST_AUTO_TEST_CASE(verify_accepts_the_right_sign_only) {
  const std::string id = "0123456789abcdef0123456789abcdef";
  BOOST_TEST(verify_sign(id, "meross", 1700000000, "6a8923778cfd1aeb95f603c33b999313"));
  BOOST_TEST(verify_sign(id, "meross", 1700000000, "6A8923778CFD1AEB95F603C33B999313"));
  BOOST_TEST(!verify_sign(id, "meross2", 1700000000, "6a8923778cfd1aeb95f603c33b999313"));
  BOOST_TEST(!verify_sign(id, "meross", 1700000001, "6a8923778cfd1aeb95f603c33b999313"));
  BOOST_TEST(!verify_sign(id, "meross", 1700000000, "6a8923778cfd1aeb95f603c33b99931"));
  BOOST_TEST(!verify_sign(id, "meross", 1700000000, ""));
}

BOOST_AUTO_TEST_CASE(device_password_vectors) {
  BOOST_TEST(device_mqtt_password("48:e1:e9:c4:b2:96", "", 0) ==
             "0_91f361352132ac055af19fb0c65b8d57");
  BOOST_TEST(device_mqtt_password("34:29:8f:ff:ff:ff", "testkey", 1234) ==
             "1234_5ac868a81f2f21b4a87f7d2bb3467cb5");
}

BOOST_AUTO_TEST_CASE(message_ids_are_32_lowercase_hex_and_distinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_message_id();
    BOOST_TEST(id.size() == 32u);
    BOOST_TEST(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(id);
  }
  BOOST_TEST(seen.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(md5_of_known_text) {
  BOOST_TEST(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  BOOST_TEST(md5_hex("0") == "cfcd208495d565ef66e7dff9f98764da");
}

BOOST_AUTO_TEST_SUITE_END()
