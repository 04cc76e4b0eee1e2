// Every malformed file in tests/io/support.hpp is rejected with its exact id, by every
// way of opening it (borrowed span, copied span, mmap, read).
#include "io/support.hpp"

#include <admn/io.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace {

using admn::io::backend;
using admn::io::safetensors_file;
using namespace admn::test::io;

// The id thrown when opening `c` from memory ("" when the file is accepted).
std::string outcome(const file_case& c) {
  try {
    (void)safetensors_file::borrow(c.bytes, c.options);
    return "";
  } catch (const admn::format_error& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    CHECK(message.rfind("[" + e.id() + "] ", 0) == 0);
    if (!c.mentions.empty()) CHECK(message.find(c.mentions) != std::string::npos);
    return e.id();
  }
}

void check_category(const std::string& category) {
  int count = 0;
  for (const auto& c : malformed_cases()) {
    if (c.category != category) continue;
    ++count;
    INFO("case: " << c.category << " / " << c.name);
    CHECK(outcome(c) == c.id);
  }
  CHECK(count > 0);
}

}  // namespace

TEST_CASE("malformed: the 8-byte header length (rule 1)") { check_category("length"); }
TEST_CASE("malformed: header not UTF-8 (rule 2)") { check_category("utf8"); }
TEST_CASE("malformed: header not strict JSON (rule 2)") { check_category("json"); }
TEST_CASE("malformed: nesting depth cap") { check_category("depth"); }
TEST_CASE("malformed: duplicate keys at any level (rule 3)") { check_category("duplicates"); }
TEST_CASE("malformed: __metadata__ types (rule 4)") { check_category("metadata"); }
TEST_CASE("malformed: dtype names (rule 5)") { check_category("dtype"); }
TEST_CASE("malformed: shapes and number forms (rule 5)") { check_category("shape"); }
TEST_CASE("malformed: data_offsets (rule 5)") { check_category("offsets"); }
TEST_CASE("malformed: checked sizes (rule 6)") { check_category("size"); }
TEST_CASE("malformed: layout holes, overlaps, aliases (rule 7)") { check_category("layout"); }
TEST_CASE("malformed: end of file and trailing bytes (rule 8)") { check_category("end"); }

TEST_CASE("malformed: the table covers at least 45 files and every category is tested") {
  const auto cases = malformed_cases();
  CHECK(cases.size() >= 45);
  const std::set<std::string> tested{"length", "utf8",  "json",    "depth", "duplicates", "metadata",
                                     "dtype",  "shape", "offsets", "size",  "layout",     "end"};
  std::set<std::string> ids;
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(tested.count(c.category) == 1);
    ids.insert(c.id);
  }
  // Every header/layout id of format.hpp has at least one file.
  for (const char* id :
       {"file_too_small", "header_too_large", "header_out_of_bounds", "invalid_utf8",     "invalid_json",
        "json_too_deep",  "duplicate_key",    "invalid_header",       "invalid_metadata", "invalid_tensor",
        "invalid_dtype",  "invalid_shape",    "rank_too_large",       "invalid_offsets",  "size_overflow",
        "partial_byte",   "size_mismatch",    "layout_hole",          "layout_overlap",   "layout_alias",
        "truncated_data", "trailing_bytes"}) {
    INFO(id);
    CHECK(ids.count(std::string("admn.safetensors.") + id) == 1);
  }
}

TEST_CASE("malformed: edge files at the limits are accepted") {
  for (const auto& c : accepted_cases()) {
    INFO("case: " << c.name);
    CHECK(outcome(c).empty());
  }
}

TEST_CASE("malformed: every way of opening rejects with the same id") {
  temp_dir dir;
  int index = 0;
  auto cases = malformed_cases();
  const auto accepted = accepted_cases();
  cases.insert(cases.end(), accepted.begin(), accepted.end());
  for (const auto& c : cases) {
    INFO("case: " << c.category << " / " << c.name);
    const auto path = dir / ("case" + std::to_string(index++) + ".safetensors");
    write_file(path, c.bytes);
    for (const int way : {0, 1, 2}) {
      std::string id;
      try {
        if (way == 0) {
          (void)safetensors_file::from_bytes(c.bytes, c.options);
        } else {
          auto options = c.options;
          options.backend = way == 1 ? backend::mmap : backend::read;
          (void)safetensors_file::open(path, options);
        }
      } catch (const admn::format_error& e) {
        id = e.id();
      }
      INFO("way " << way);
      CHECK(id == c.id);
    }
  }
}

TEST_CASE("malformed: a header that declares huge tensors fails before any allocation") {
  // 2^63 bytes declared, 8 present: both backends must say truncated_data, not bad_alloc.
  const auto bytes = make_file(
      with_fields(R"("dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,9223372036854775808])"), 8);
  temp_dir dir;
  write_file(dir / "huge.safetensors", bytes);
  for (const auto b : {backend::mmap, backend::read}) {
    try {
      (void)safetensors_file::open(dir / "huge.safetensors", {.backend = b});
      FAIL("accepted");
    } catch (const admn::format_error& e) {
      CHECK(e.id() == "admn.safetensors.truncated_data");
    }
  }
}

TEST_CASE("malformed: messages quote hostile names safely") {
  // A control character and a 1000-byte name: escaped and cut, never printed raw.
  const std::string name = "\\u001b[31m" + std::string(1000, 'x');
  const auto bytes = make_file(R"({")" + name + R"(":{"dtype":"F99","shape":[],"data_offsets":[0,0]}})");
  try {
    (void)safetensors_file::borrow(bytes);
    FAIL("accepted");
  } catch (const admn::format_error& e) {
    const std::string message = e.what();
    CHECK(e.id() == "admn.safetensors.invalid_dtype");
    CHECK(message.find('\x1b') == std::string::npos);
    CHECK(message.find("'\\x1b[31mxxx") != std::string::npos);
    CHECK(message.find("...(1005 bytes)'") != std::string::npos);
    CHECK(message.size() < 400);
  }
}

TEST_CASE("malformed: messages stay short whatever the header holds") {
  // A 100000-digit shape entry and a 100000-byte dtype name: the message quotes a cut copy.
  const std::string digits(100000, '7');
  for (const std::string& fields : {R"("dtype":"F32","shape":[)" + digits + R"(],"data_offsets":[0,8])",
                                    R"("dtype":"F32","shape":[)" + digits + R"(.5],"data_offsets":[0,8])",
                                    R"("dtype":")" + digits + R"(","shape":[2],"data_offsets":[0,8])"}) {
    try {
      (void)safetensors_file::borrow(make_file(with_fields(fields), 8));
      FAIL("accepted");
    } catch (const admn::format_error& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).size() < 400);
      CHECK(std::string(e.what()).find("...(100") != std::string::npos);
    }
  }
}
