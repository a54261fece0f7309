#include <boost/test/unit_test.hpp>

#include "pairing/wifi_password.hpp"

using namespace meross::pairing;

BOOST_AUTO_TEST_SUITE(wifi_password)

BOOST_AUTO_TEST_CASE(wifix_vector) {
  // meross-protocol.md §6.5.
  BOOST_TEST(encrypt_wifix_password("password123", "mss310", "2304253613440052050a48e1e9c4b296",
                                    "48:e1:e9:c4:b2:96") == "Bm65HOPt+5PLce/V3Ns3Aw==");
}

BOOST_AUTO_TEST_CASE(aligned_passwords_get_a_whole_zero_block) {
  const auto sixteen = encrypt_wifix_password("0123456789abcdef", "t", "u", "m");
  BOOST_TEST(sixteen.size() == 44u);  // 32 bytes of ciphertext
}

BOOST_AUTO_TEST_CASE(base64) {
  BOOST_TEST(base64_encode("") == "");
  BOOST_TEST(base64_encode("f") == "Zg==");
  BOOST_TEST(base64_encode("MyHomeWiFi") == "TXlIb21lV2lGaQ==");
}

BOOST_AUTO_TEST_SUITE_END()
