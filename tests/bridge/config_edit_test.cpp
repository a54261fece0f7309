// set_device_name: the device's name edited in the configuration file as text (comments, order
// and the rest kept), replaced atomically with the same permissions, the add-on's generated file
// left alone, and nothing written that the bridge would not read back.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "bridge/config.hpp"
#include "bridge/config_edit.hpp"
#include "support/temp_dir.hpp"

using namespace meross::bridge;

namespace {

constexpr const char* kPlug = "2301234567890abcdef0123456789abc";
constexpr const char* kHead =
    "# my bridge\n[meross]\nkey = \"k\"  # the fleet's key\n\n[mqtt]\nurl = "
    "\"mqtt://127.0.0.1:1883\"\n";

struct File {
  meross::test::TempDir dir{"meross-config-edit"};
  std::string path = (dir.path / "bridge.toml").string();

  explicit File(const std::string& text) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
  }
  std::string text() const {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  std::string name_of(const std::string& uuid) const {
    const auto r = load_config(path);
    BOOST_REQUIRE_MESSAGE(r.config, (r.error ? r.error->describe() : std::string()));
    const auto* d = r.config->device(uuid);
    return d ? d->name : "(none)";
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(config_edit)

BOOST_AUTO_TEST_CASE(an_existing_name_is_replaced_and_the_rest_kept) {
  File f(std::string(kHead) + "\n[[devices]]\nuuid = \"" + kPlug +
         "\"\nname = \"Old\"  # the old one\nkey = \"device-key\"\n");
  const auto r = set_device_name(f.path, kPlug, "Kitchen \"kettle\" \\ Küche");
  BOOST_TEST((r.outcome == ConfigEditResult::Outcome::Written), r.message);
  BOOST_TEST(f.name_of(kPlug) == "Kitchen \"kettle\" \\ Küche");
  const auto text = f.text();
  BOOST_TEST(text.find("# my bridge\n") == 0u);
  BOOST_TEST(text.find("key = \"k\"  # the fleet's key\n") != std::string::npos);
  BOOST_TEST(text.find("key = \"device-key\"\n") != std::string::npos);
  BOOST_TEST(text.find("Old") == std::string::npos);
  BOOST_TEST(r.message.find("device-key") == std::string::npos);
  struct stat st {};
  BOOST_REQUIRE(::stat(f.path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(!std::filesystem::exists(f.path + ".tmp"));
}

BOOST_AUTO_TEST_CASE(a_name_is_added_to_the_device_or_a_new_device_table) {
  File f(std::string(kHead) + "\n[[devices]]\n  uuid = \"" + std::string(kPlug) +
         "\"\n  key = \"device-key\"\n\n[web]\nlisten = \"\"\n");
  BOOST_TEST(
      (set_device_name(f.path, kPlug, "Kettle").outcome == ConfigEditResult::Outcome::Written));
  BOOST_TEST(f.name_of(kPlug) == "Kettle");
  BOOST_TEST(f.text().find("  uuid = \"" + std::string(kPlug) + "\"\n  name = \"Kettle\"\n") !=
             std::string::npos);
  // Upper case in the request, a device the file does not have yet.
  const std::string other = "1111111111111111111111111111111A";
  BOOST_TEST(
      (set_device_name(f.path, other, "Lamp").outcome == ConfigEditResult::Outcome::Written));
  BOOST_TEST(f.name_of("1111111111111111111111111111111a") == "Lamp");
  BOOST_TEST(f.name_of(kPlug) == "Kettle");
}

BOOST_AUTO_TEST_CASE(the_add_ons_generated_file_is_left_alone) {
  const std::string text =
      std::string(kAddonConfigHeader) + " (meross-bridge addon-config)\n" + kHead;
  File f(text);
  const auto r = set_device_name(f.path, kPlug, "Kettle");
  BOOST_TEST((r.outcome == ConfigEditResult::Outcome::Generated));
  BOOST_TEST(r.message.find("add-on") != std::string::npos);
  BOOST_TEST(f.text() == text);
}

BOOST_AUTO_TEST_CASE(what_cannot_be_edited_safely_is_not_written) {
  const std::string inline_device =
      std::string(kHead) + "devices = [{uuid = \"" + kPlug + "\", name = \"Old\"}]\n";
  File f(inline_device);
  auto r = set_device_name(f.path, kPlug, "Kettle");
  BOOST_TEST((r.outcome == ConfigEditResult::Outcome::Failed));
  BOOST_TEST(f.text() == inline_device);
  BOOST_TEST((set_device_name(f.path, "1111111111111111111111111111111a", "Lamp").outcome ==
              ConfigEditResult::Outcome::Failed));
  BOOST_TEST(f.text() == inline_device);
  // Bad names, bad uuids, a missing file.
  BOOST_TEST((set_device_name(f.path, kPlug, "a\nb").outcome == ConfigEditResult::Outcome::Failed));
  BOOST_TEST((set_device_name(f.path, "nope", "x").outcome == ConfigEditResult::Outcome::Failed));
  BOOST_TEST((set_device_name(f.path + ".missing", kPlug, "x").outcome ==
              ConfigEditResult::Outcome::Failed));
  BOOST_TEST(f.text() == inline_device);
}

BOOST_AUTO_TEST_CASE(names_are_validated) {
  std::string why;
  BOOST_TEST(valid_device_name("Kitchen kettle", &why));
  BOOST_TEST(valid_device_name("Küche 🫖", &why));
  BOOST_TEST(!valid_device_name("", &why));
  BOOST_TEST(!valid_device_name("   ", &why));
  BOOST_TEST(!valid_device_name(std::string(65, 'a'), &why));
  BOOST_TEST(why.find("64") != std::string::npos);
  BOOST_TEST(!valid_device_name("tab\there", &why));
  BOOST_TEST(why.find("control") != std::string::npos);
  BOOST_TEST(!valid_device_name("\x7f", &why));
  BOOST_TEST(!valid_device_name("\xc2\x85", &why));
  BOOST_TEST(!valid_device_name("\xc0\xaf", &why));      // overlong
  BOOST_TEST(!valid_device_name("\xed\xa0\x80", &why));  // surrogate
  BOOST_TEST(!valid_device_name("\xe2\x82", &why));      // cut short
}

BOOST_AUTO_TEST_SUITE_END()
