// serialize() and save(): round trips, the header format, rejections, atomic replacement.
#include "io/support.hpp"

#include <admn/io.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

using admn::dtype;
using admn::io::safetensors_file;
using admn::io::tensor_entry;
using namespace admn::test::io;

std::string header_text(const std::vector<std::byte>& file) {
  const auto f = safetensors_file::borrow(file);
  return std::string(reinterpret_cast<const char*>(file.data()) + 8, f.header_size());
}

template <class Error>
void expect_rejected(std::span<const tensor_entry> entries, const char* id,
                     const std::map<std::string, std::string>& metadata = {}) {
  try {
    (void)admn::io::serialize(entries, metadata);
    FAIL("serialized");
  } catch (const Error& e) {
    CHECK(e.id() == id);
  }
}

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("writer: the header is canonical JSON padded with spaces to a multiple of 8") {
  admn::tensor t(admn::shape{2, 3});
  const std::vector<tensor_entry> entries{admn::io::entry("a", t)};
  const auto file = admn::io::serialize(entries, {{"k", "v"}});
  const std::string header = header_text(file);
  const std::string json =
      R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";
  REQUIRE(header.size() >= json.size());
  CHECK(header.size() - json.size() < 8);
  CHECK(header == json + std::string(header.size() - json.size(), ' '));
  CHECK(header.size() % 8 == 0);
  CHECK(file.size() == 8 + header.size() + 24);
  // Little-endian length prefix.
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<std::uint8_t>(file[static_cast<std::size_t>(i)]);
  CHECK(n == header.size());
}

TEST_CASE("writer: round trip write → read → identical bytes, every dtype") {
  std::vector<std::vector<std::byte>> storage;
  std::vector<tensor_entry> entries;
  std::uint8_t fill = 1;
  for (const dtype t : admn::all_dtypes()) {
    const std::uint64_t bytes = *admn::dtype_byte_size(t, 24);
    storage.emplace_back(bytes);
    for (auto& b : storage.back()) b = static_cast<std::byte>(fill++);
    entries.push_back({"w." + std::string(admn::dtype_name(t)), t, {2, 3, 4}, storage.back()});
  }
  entries.push_back({"scalar", dtype::f64, {}, {}});
  storage.emplace_back(8, std::byte{0x3f});
  entries.back().bytes = storage.back();
  entries.push_back({"empty", dtype::f32, {0, 5}, {}});
  const std::map<std::string, std::string> metadata{{"admn.arch", "gtdm"},
                                                    {"admn.config", R"({"depth":12})"}};

  const auto file = admn::io::serialize(entries, metadata);
  const auto f = safetensors_file::borrow(file);
  CHECK(f.size() == entries.size());
  CHECK(f.metadata() == metadata);
  std::vector<tensor_entry> again;
  for (const auto& e : entries) {
    INFO(e.name);
    const auto t = f.tensor(e.name);
    CHECK(t.dtype() == e.type);
    CHECK(std::vector<std::uint64_t>(t.shape().begin(), t.shape().end()) == e.shape);
    REQUIRE(t.bytes().size() == e.bytes.size());
    CHECK((e.bytes.empty() || std::memcmp(t.bytes().data(), e.bytes.data(), e.bytes.size()) == 0));
    again.push_back({t.name(), t.dtype(), e.shape, t.bytes()});
  }
  // Writing what was read reproduces the file byte for byte.
  CHECK(admn::io::serialize(again, *f.metadata()) == file);
}

TEST_CASE("writer: tensors are laid out widest dtype first, each aligned to its element size") {
  std::vector<std::byte> b1(3), b2(8), b4(12), b8(16);
  const std::vector<tensor_entry> entries{{"u8", dtype::u8, {3}, b1},
                                          {"f16", dtype::f16, {4}, b2},
                                          {"f32b", dtype::f32, {3}, b4},
                                          {"f64", dtype::f64, {2}, b8},
                                          {"f32a", dtype::f32, {2}, std::span(b4).first(8)}};
  std::vector<std::byte> separate(8);
  auto list = entries;
  list[4].bytes = separate;
  const auto file = admn::io::serialize(list);
  const auto f = safetensors_file::borrow(file);
  CHECK(f.offset_keys() == std::vector<std::string>{"f64", "f32a", "f32b", "f16", "u8"});
  CHECK(f.data_offset() % 8 == 0);
  for (const auto& info : f.tensors()) CHECK(info.begin % (admn::dtype_bits(info.type) / 8) == 0);
}

TEST_CASE("writer: metadata-only and empty files round trip") {
  const auto empty = admn::io::serialize({});
  CHECK(header_text(empty) == "{}      ");
  CHECK(empty.size() == 16);
  const auto e = safetensors_file::borrow(empty);
  CHECK(e.size() == 0);
  CHECK_FALSE(e.metadata().has_value());  // an empty map writes no __metadata__

  const std::map<std::string, std::string> metadata{
      {"only", "metadata"}, {"", ""}, {"q\"\\\n\x01", "\xc3\xa9"}};
  const auto file = admn::io::serialize({}, metadata);
  const auto m = safetensors_file::borrow(file);
  CHECK(m.size() == 0);
  CHECK(m.metadata() == metadata);
  CHECK(admn::io::serialize({}, *m.metadata()) == file);
}

TEST_CASE("writer: names with quotes, backslashes, control characters and Unicode round trip") {
  const std::vector<std::string> names{
      "a\"b", "back\\slash", "new\nline\t\x01\x1f", "\xc3\xa9\xf0\x9f\x98\x80", "", "sp ace/slash"};
  std::vector<std::byte> data(names.size());
  std::vector<tensor_entry> entries;
  for (std::size_t i = 0; i < names.size(); ++i)
    entries.push_back({names[i], dtype::u8, {1}, std::span(data).subspan(i, 1)});
  const auto f = safetensors_file::from_bytes(admn::io::serialize(entries));
  for (const auto& name : names) CHECK(f.contains(name));
}

TEST_CASE("writer: entry() views admn tensors and contiguous views, refuses strided ones") {
  admn::tensor t(admn::shape{3, 4});
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(i) - 5.5f;
  const auto whole = admn::io::entry("t", t);
  CHECK(whole.type == dtype::f32);
  CHECK(whole.shape == std::vector<std::uint64_t>{3, 4});
  CHECK(whole.bytes.data() == reinterpret_cast<const std::byte*>(t.data()));
  const auto rows = admn::io::entry("rows", admn::const_view(t.view()).slice(1, 3));
  CHECK(rows.shape == std::vector<std::uint64_t>{2, 4});
  CHECK(rows.bytes.size() == 32);
  const std::vector<tensor_entry> entries{rows};
  const auto f = safetensors_file::from_bytes(admn::io::serialize(entries));
  std::vector<float> out(8);
  f.tensor("rows").to_f32(out);
  CHECK(out[0] == -1.5f);
  CHECK(out[7] == 5.5f);

  const admn::strides_t column_stride{4};
  const admn::const_view column(t.data(), admn::shape{3}, column_stride);
  try {
    (void)admn::io::entry("col", column);
    FAIL("accepted a strided view");
  } catch (const admn::argument_error& e) {
    CHECK(e.id() == "admn.safetensors.not_contiguous");
    CHECK(std::string(e.what()).find("'col'") != std::string::npos);
  }
}

TEST_CASE("writer: rejects __metadata__, duplicates, aliases, size mismatches, bad UTF-8") {
  std::vector<std::byte> buffer(64);
  const auto span = std::span<const std::byte>(buffer);
  {
    const std::vector<tensor_entry> e{{"__metadata__", dtype::u8, {1}, span.first(1)}};
    expect_rejected<admn::argument_error>(e, "admn.safetensors.reserved_name");
  }
  {
    const std::vector<tensor_entry> e{{"x", dtype::u8, {1}, span.subspan(0, 1)},
                                      {"x", dtype::u8, {1}, span.subspan(1, 1)}};
    expect_rejected<admn::argument_error>(e, "admn.safetensors.duplicate_name");
  }
  {  // same name, different widths (not neighbours in data order)
    const std::vector<tensor_entry> e{{"x", dtype::f64, {1}, span.subspan(0, 8)},
                                      {"m", dtype::f32, {1}, span.subspan(8, 4)},
                                      {"x", dtype::u8, {1}, span.subspan(12, 1)}};
    expect_rejected<admn::argument_error>(e, "admn.safetensors.duplicate_name");
  }
  {
    const std::vector<tensor_entry> e{{"a", dtype::f32, {4}, span.subspan(0, 16)},
                                      {"b", dtype::f32, {4}, span.subspan(12, 16)}};
    expect_rejected<admn::argument_error>(e, "admn.safetensors.aliased_input");
  }
  {
    const std::vector<tensor_entry> e{{"a", dtype::f32, {2}, span.subspan(8, 8)},
                                      {"b", dtype::i32, {2}, span.subspan(8, 8)}};
    expect_rejected<admn::argument_error>(e, "admn.safetensors.aliased_input");
  }
  {  // adjacent ranges and empty entries at one address are fine
    const std::vector<tensor_entry> e{{"a", dtype::f32, {2}, span.subspan(0, 8)},
                                      {"b", dtype::f32, {2}, span.subspan(8, 8)},
                                      {"z1", dtype::f32, {0}, span.subspan(8, 0)},
                                      {"z2", dtype::f32, {0}, span.subspan(8, 0)}};
    CHECK(safetensors_file::from_bytes(admn::io::serialize(e)).size() == 4);
  }
  {
    const std::vector<tensor_entry> e{{"a", dtype::f32, {3}, span.subspan(0, 8)}};
    expect_rejected<admn::argument_error>(e, "admn.safetensors.entry_size");
  }
  {
    const std::vector<tensor_entry> e{{"a", dtype::f4, {3}, span.subspan(0, 2)}};
    expect_rejected<admn::argument_error>(e, "admn.safetensors.entry_size");
  }
  {
    const std::vector<tensor_entry> e{{"a", dtype::f32, {1ull << 62, 8}, span.subspan(0, 8)}};
    expect_rejected<admn::argument_error>(e, "admn.safetensors.entry_size");
  }
  {
    const std::vector<tensor_entry> e{{"bad\xff", dtype::u8, {1}, span.first(1)}};
    expect_rejected<admn::argument_error>(e, "admn.safetensors.invalid_utf8");
    expect_rejected<admn::argument_error>({}, "admn.safetensors.invalid_utf8", {{"k", "\xc0\xaf"}});
  }
}

TEST_CASE("writer: save writes the serialized bytes via a temp file and replaces atomically") {
  temp_dir dir;
  std::vector<float> v{1, 2, 3};
  const std::vector<tensor_entry> first{{"v", dtype::f32, {3}, std::as_bytes(std::span(v))}};
  admn::io::save(dir / "m.safetensors", first, {{"k", "1"}});
  CHECK(read_file(dir / "m.safetensors") == admn::io::serialize(first, {{"k", "1"}}));
  CHECK(files_in(dir.path()) == 1);  // no temp file left behind

  // Overwrite while the old file is mapped: the mapping keeps the old contents.
  const auto old = safetensors_file::open(dir / "m.safetensors");
  std::vector<float> w{9, 8};
  const std::vector<tensor_entry> second{{"w", dtype::f32, {2}, std::as_bytes(std::span(w))}};
  admn::io::save(dir / "m.safetensors", second);
  CHECK(read_file(dir / "m.safetensors") == admn::io::serialize(second));
  CHECK(old.contains("v"));
  CHECK(old.tensor("v").as<float>()->back() == 3.0f);
  CHECK(files_in(dir.path()) == 1);

  // Rejected entries: nothing is created and the existing file is untouched.
  const std::vector<tensor_entry> bad{{"__metadata__", dtype::f32, {2}, std::as_bytes(std::span(w))}};
  CHECK_THROWS_AS(admn::io::save(dir / "m.safetensors", bad), admn::argument_error);
  CHECK(read_file(dir / "m.safetensors") == admn::io::serialize(second));
  CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("writer: save into a missing directory is load_error [admn.safetensors.io]") {
  temp_dir dir;
  try {
    admn::io::save(dir / "no" / "such" / "m.safetensors", {});
    FAIL("saved");
  } catch (const admn::load_error& e) {
    CHECK(e.id() == "admn.safetensors.io");
    CHECK(std::string(e.what()).find("m.safetensors") != std::string::npos);
  }
  CHECK(files_in(dir.path()) == 0);
}
