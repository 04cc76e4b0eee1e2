// safetensors_file and tensor_data: lookups, metadata, typed views, conversions, backends.
#include "io/support.hpp"

#include <admn/io.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace {

using admn::dtype;
using admn::io::backend;
using admn::io::safetensors_file;
using namespace admn::test::io;

template <class T>
std::vector<std::byte> le_bytes(std::initializer_list<T> values) {
  std::vector<std::byte> out(values.size() * sizeof(T));
  std::size_t at = 0;
  for (const T v : values) {
    std::memcpy(out.data() + at, &v, sizeof(T));
    at += sizeof(T);
  }
  return out;
}

// A file with one tensor 't' of `type`/`shape` holding `data`, with `pad` extra spaces
// in the header (to move the data off alignment).
std::vector<std::byte> single(std::string_view type, std::string_view shape,
                              const std::vector<std::byte>& data, std::size_t pad = 0) {
  std::string header = "{";
  header.append(entry_json("t", type, shape, 0, data.size())).append("}").append(pad, ' ');
  auto file = make_file(header);
  file.insert(file.end(), data.begin(), data.end());
  return file;
}

std::vector<float> widen(const std::vector<std::byte>& file) {
  const auto f = safetensors_file::from_bytes(file);
  const auto t = f.tensor("t");
  std::vector<float> out(t.element_count());
  t.to_f32(out);
  return out;
}

std::vector<std::byte> sample_file() {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "literal" + string&&.
  std::string header = "{";
  header += entry_json("b.weight", "F32", "[2,2]", 8, 24);
  header += ",";
  header += entry_json("a.bias", "F64", "[1]", 0, 8);
  header += ",";
  header += entry_json("c", "U8", "[3]", 24, 27);
  header += R"(,"__metadata__":{"arch":"gtdm","cfg":"{\"d\":1}"}})";
  return make_file(header, 27);
}

}  // namespace

TEST_CASE("reader: keys sorted by name, offset_keys by data offset, sizes") {
  const auto bytes = sample_file();
  const auto f = safetensors_file::borrow(bytes);
  CHECK(f.size() == 3);
  CHECK(f.keys() == std::vector<std::string>{"a.bias", "b.weight", "c"});
  CHECK(f.offset_keys() == std::vector<std::string>{"a.bias", "b.weight", "c"});
  CHECK(f.file_size() == bytes.size());
  CHECK(f.data_offset() == 8 + f.header_size());
  CHECK(f.data_size() == 27);
  CHECK(f.header_size() + 8 + 27 == bytes.size());

  const auto g = safetensors_file::borrow(make_file(
      "{" + entry_json("z", "U8", "[1]", 0, 1) + "," + entry_json("a", "U8", "[1]", 1, 2) + "}", 2));
  CHECK(g.keys() == std::vector<std::string>{"a", "z"});
  CHECK(g.offset_keys() == std::vector<std::string>{"z", "a"});
}

TEST_CASE("reader: metadata absent, null, empty and present are told apart") {
  CHECK_FALSE(safetensors_file::from_bytes(make_file("{}")).metadata().has_value());
  CHECK_FALSE(safetensors_file::from_bytes(make_file(R"({"__metadata__":null})")).metadata().has_value());
  const auto empty = safetensors_file::from_bytes(make_file(R"({"__metadata__":{}})"));
  REQUIRE(empty.metadata().has_value());
  CHECK(empty.metadata()->empty());
  const auto f = safetensors_file::from_bytes(sample_file());
  REQUIRE(f.metadata().has_value());
  CHECK(f.metadata()->at("arch") == "gtdm");
  CHECK(f.metadata()->at("cfg") == R"({"d":1})");
  CHECK(f.metadata()->size() == 2);
  CHECK_FALSE(f.contains("__metadata__"));
}

TEST_CASE("reader: contains, info and tensor, and a missing name is a load_error naming it") {
  const auto f = safetensors_file::from_bytes(sample_file());
  CHECK(f.contains("b.weight"));
  CHECK_FALSE(f.contains("b.weigh"));
  CHECK(f.find("nope") == nullptr);
  const auto& info = f.info("b.weight");
  CHECK(info.type == dtype::f32);
  CHECK(info.shape == std::vector<std::uint64_t>{2, 2});
  CHECK(info.begin == 8);
  CHECK(info.end == 24);
  CHECK(info.element_count() == 4);
  CHECK(info.byte_size() == 16);
  for (const auto call : {0, 1}) {
    try {
      if (call == 0)
        (void)f.info("missing.key");
      else
        (void)f.tensor("missing.key");
      FAIL("no throw");
    } catch (const admn::load_error& e) {
      CHECK(e.id() == "admn.safetensors.missing_tensor");
      CHECK(std::string(e.what()).find("'missing.key'") != std::string::npos);
    }
  }
}

TEST_CASE("reader: tensor bytes are exactly the data_offsets slice") {
  const auto bytes = sample_file();
  const auto f = safetensors_file::borrow(bytes);
  const auto t = f.tensor("b.weight");
  CHECK(t.name() == "b.weight");
  CHECK(t.dtype() == dtype::f32);
  CHECK(t.shape().size() == 2);
  REQUIRE(t.bytes().size() == 16);
  CHECK(t.bytes().data() == bytes.data() + f.data_offset() + 8);  // borrowed: no copy
  for (std::size_t i = 0; i < 16; ++i) CHECK(t.bytes()[i] == static_cast<std::byte>(8 + i));
  const auto c = f.tensor("c");
  CHECK(c.bytes().size() == 3);
  CHECK(c.bytes()[2] == static_cast<std::byte>(26));
}

TEST_CASE("reader: typed views need the matching dtype and alignment") {
  const auto data = le_bytes<float>({1.5f, -2.0f, 3.25f});
  const auto aligned = safetensors_file::from_bytes(single("F32", "[3]", data));
  const auto view = aligned.tensor("t").as<float>();
  REQUIRE(view.has_value());
  CHECK(view->size() == 3);
  CHECK((*view)[2] == 3.25f);
  CHECK_FALSE(aligned.tensor("t").as<double>().has_value());
  CHECK_FALSE(aligned.tensor("t").as<std::int32_t>().has_value());
  CHECK_FALSE(aligned.tensor("t").as<std::uint32_t>().has_value());

  // Borrowed bytes placed so the data lands 1 byte past an aligned address: the view is
  // refused, conversion still works.
  std::vector<std::byte> storage(256 + 64);
  const auto file = single("F32", "[3]", data);
  auto* base = storage.data();
  while (reinterpret_cast<std::uintptr_t>(base) % 64 != 0) ++base;
  const std::size_t data_offset = file.size() - data.size();
  base += (64 + 1 - data_offset % 64) % 64;
  std::memcpy(base, file.data(), file.size());
  const auto shifted = safetensors_file::borrow(std::span<const std::byte>(base, file.size()));
  CHECK(reinterpret_cast<std::uintptr_t>(shifted.tensor("t").bytes().data()) % 4 != 0);
  CHECK_FALSE(shifted.tensor("t").as<float>().has_value());
  std::vector<float> out(3);
  shifted.tensor("t").to_f32(out);
  CHECK(out == std::vector<float>{1.5f, -2.0f, 3.25f});
  // from_bytes copies the data section into 64-byte aligned memory: the view works again.
  CHECK(safetensors_file::from_bytes(std::span<const std::byte>(base, file.size())).tensor("t").as<float>());

  // F16, BF16 and U16 all view as raw 16-bit patterns.
  for (const char* type : {"F16", "BF16", "U16"}) {
    const auto f =
        safetensors_file::from_bytes(single(type, "[2]", le_bytes<std::uint16_t>({0x3c00, 0x4000})));
    const auto bits = f.tensor("t").as<std::uint16_t>();
    REQUIRE(bits.has_value());
    CHECK((*bits)[1] == 0x4000);
    CHECK_FALSE(f.tensor("t").as<std::int16_t>().has_value());
  }
  const auto c = safetensors_file::from_bytes(single("C64", "[1]", le_bytes<float>({1.0f, -1.0f})));
  REQUIRE(c.tensor("t").as<std::complex<float>>().has_value());
  CHECK((*c.tensor("t").as<std::complex<float>>())[0] == std::complex<float>(1.0f, -1.0f));
  const auto i64 = safetensors_file::from_bytes(single("I64", "[1]", le_bytes<std::int64_t>({-5})));
  CHECK((*i64.tensor("t").as<std::int64_t>())[0] == -5);
  CHECK_FALSE(i64.tensor("t").as<std::uint64_t>().has_value());
}

TEST_CASE("reader: an odd header length leaves mapped data unaligned: views refuse, to_f32 copes") {
  temp_dir dir;
  const auto bytes = single("F32", "[2]", le_bytes<float>({7.0f, 8.0f}), 1);  // header length odd
  write_file(dir / "odd.safetensors", bytes);
  const auto f = safetensors_file::open(dir / "odd.safetensors");
  CHECK(f.data_offset() % 4 != 0);
  CHECK_FALSE(f.tensor("t").as<float>().has_value());
  std::vector<float> out(2);
  f.tensor("t").to_f32(out);
  CHECK(out == std::vector<float>{7.0f, 8.0f});
}

TEST_CASE("reader: to_f32 widens F16, BF16, F64 and F32 exactly") {
  CHECK(widen(single("F16", "[5]", le_bytes<std::uint16_t>({0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00}))) ==
        std::vector<float>{1.0f, -2.0f, 65504.0f, std::ldexp(1.0f, -24),
                           std::numeric_limits<float>::infinity()});
  CHECK(widen(single("BF16", "[3]", le_bytes<std::uint16_t>({0x3f80, 0xc0a0, 0x0000}))) ==
        std::vector<float>{1.0f, -5.0f, 0.0f});
  CHECK(widen(single("F64", "[3]", le_bytes<double>({0.5, -1e300, 1.0 / 3.0}))) ==
        std::vector<float>{0.5f, -std::numeric_limits<float>::infinity(), static_cast<float>(1.0 / 3.0)});
  CHECK(widen(single("F32", "[2]", le_bytes<float>({-0.0f, 1e-40f}))) == std::vector<float>{-0.0f, 1e-40f});
  const auto nan = widen(single("F16", "[1]", le_bytes<std::uint16_t>({0x7e00})));
  CHECK(std::isnan(nan[0]));
}

TEST_CASE("reader: to_f32 widens integers, BOOL and the F8 types") {
  CHECK(widen(single("I8", "[2]", le_bytes<std::int8_t>({-128, 127}))) == std::vector<float>{-128, 127});
  CHECK(widen(single("U8", "[2]", le_bytes<std::uint8_t>({0, 255}))) == std::vector<float>{0, 255});
  CHECK(widen(single("I16", "[1]", le_bytes<std::int16_t>({-300}))) == std::vector<float>{-300});
  CHECK(widen(single("U16", "[1]", le_bytes<std::uint16_t>({65535}))) == std::vector<float>{65535});
  CHECK(widen(single("I32", "[1]", le_bytes<std::int32_t>({-70000}))) == std::vector<float>{-70000});
  CHECK(widen(single("U32", "[1]", le_bytes<std::uint32_t>({4000000000u}))) == std::vector<float>{4e9f});
  CHECK(widen(single("I64", "[1]", le_bytes<std::int64_t>({-(1ll << 40)}))) ==
        std::vector<float>{-1099511627776.0f});
  CHECK(widen(single("U64", "[1]", le_bytes<std::uint64_t>({1ull << 63}))) ==
        std::vector<float>{9223372036854775808.0f});
  CHECK(widen(single("BOOL", "[3]", le_bytes<std::uint8_t>({0, 1, 2}))) == std::vector<float>{0, 1, 1});
  // F8_E4M3 (fn): 1.0, max 448, min subnormal 2^-9, -2; S.1111.111 is NaN.
  const auto e4m3 = widen(single("F8_E4M3", "[5]", le_bytes<std::uint8_t>({0x38, 0x7e, 0x01, 0xc0, 0x7f})));
  CHECK(e4m3[0] == 1.0f);
  CHECK(e4m3[1] == 448.0f);
  CHECK(e4m3[2] == std::ldexp(1.0f, -9));
  CHECK(e4m3[3] == -2.0f);
  CHECK(std::isnan(e4m3[4]));
  // F8_E5M2 is the top byte of an F16: 1.0, max 57344, inf.
  CHECK(widen(single("F8_E5M2", "[3]", le_bytes<std::uint8_t>({0x3c, 0x7b, 0x7c}))) ==
        std::vector<float>{1.0f, 57344.0f, std::numeric_limits<float>::infinity()});
  // FNUZ: bias 8 / 16, 0x80 is the only NaN, all-ones is a number.
  const auto e4m3fnuz = widen(single("F8_E4M3FNUZ", "[3]", le_bytes<std::uint8_t>({0x40, 0x7f, 0x80})));
  CHECK(e4m3fnuz[0] == 1.0f);
  CHECK(e4m3fnuz[1] == 240.0f);
  CHECK(std::isnan(e4m3fnuz[2]));
  const auto e5m2fnuz = widen(single("F8_E5M2FNUZ", "[3]", le_bytes<std::uint8_t>({0x40, 0x7f, 0x01})));
  CHECK(e5m2fnuz[0] == 1.0f);
  CHECK(e5m2fnuz[1] == 57344.0f);
  CHECK(e5m2fnuz[2] == std::ldexp(1.0f, -17));
  // F8_E8M0: 2^(e-127).
  const auto e8m0 = widen(single("F8_E8M0", "[3]", le_bytes<std::uint8_t>({127, 130, 0xff})));
  CHECK(e8m0[0] == 1.0f);
  CHECK(e8m0[1] == 8.0f);
  CHECK(std::isnan(e8m0[2]));
}

TEST_CASE("reader: to_f32 rejects unsupported dtypes and wrong output sizes") {
  for (const auto& [type, shape, bytes] :
       {std::tuple{"C64", "[1]", 8}, std::tuple{"F4", "[2]", 1}, std::tuple{"F6_E2M3", "[4]", 3},
        std::tuple{"F6_E3M2", "[4]", 3}}) {
    const auto& type_ = type;  // clang 14: no structured binding in a lambda
    INFO(type_);
    const auto f = safetensors_file::from_bytes(single(type, shape, std::vector<std::byte>(bytes)));
    std::vector<float> out(f.info("t").element_count());
    try {
      f.tensor("t").to_f32(out);
      FAIL("converted");
    } catch (const admn::format_error& e) {
      CHECK(e.id() == "admn.safetensors.unsupported_dtype");
      CHECK(std::string(e.what()).find("'t'") != std::string::npos);
    }
  }
  const auto f = safetensors_file::from_bytes(single("F32", "[2]", le_bytes<float>({1, 2})));
  std::vector<float> small(1), large(3);
  CHECK_THROWS_AS(f.tensor("t").to_f32(small), admn::argument_error);
  try {
    f.tensor("t").to_f32(large);
  } catch (const admn::argument_error& e) {
    CHECK(e.id() == "admn.safetensors.output_size");
  }
}

TEST_CASE("reader: every dtype of the format is accepted with its byte size") {
  std::string header = "{";
  std::uint64_t offset = 0;
  for (const dtype t : admn::all_dtypes()) {
    const std::uint64_t bytes = *admn::dtype_byte_size(t, 8);  // 8 elements fill whole bytes for every width
    if (header.size() > 1) header += ',';
    header += entry_json(std::string("x_") + std::string(admn::dtype_name(t)), admn::dtype_name(t), "[2,4]",
                         offset, offset + bytes);
    offset += bytes;
  }
  header += "}";
  const auto f = safetensors_file::from_bytes(make_file(header, offset));
  CHECK(f.size() == admn::dtype_count);
  for (const dtype t : admn::all_dtypes()) {
    const auto& info = f.info(std::string("x_") + std::string(admn::dtype_name(t)));
    CHECK(info.type == t);
    CHECK(info.byte_size() == admn::dtype_bits(t));  // 8 elements · bits / 8
  }
}

TEST_CASE("reader: scalars, zero-sized tensors and escaped names") {
  const auto f = safetensors_file::from_bytes(
      make_file("{" + entry_json("s", "F32", "[]", 0, 4) + "," + entry_json("z", "F32", "[0,3]", 4, 4) + "," +
                    entry_json("e", "F32", "[0]", 0, 0) + "," +
                    entry_json(R"(tab\there \u00e9\ud83d\ude00 \"q\")", "U8", "[0]", 4, 4) + "}",
                4));
  CHECK(f.info("s").shape.empty());
  CHECK(f.info("s").element_count() == 1);
  std::vector<float> one(1);
  f.tensor("s").to_f32(one);
  CHECK(f.info("z").element_count() == 0);
  CHECK(f.tensor("z").bytes().empty());
  std::vector<float> none;
  f.tensor("z").to_f32(none);
  REQUIRE(f.tensor("e").as<float>().has_value());
  CHECK(f.tensor("e").as<float>()->empty());
  CHECK(f.contains("tab\there \xc3\xa9\xf0\x9f\x98\x80 \"q\""));
}

TEST_CASE("reader: mmap, read, from_bytes and borrow give identical bytes") {
  temp_dir dir;
  std::vector<float> a(1000), b(37);
  std::vector<std::uint16_t> h(513);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) * 0.25f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = -static_cast<float>(i);
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint16_t>(i * 97);
  const std::vector<admn::io::tensor_entry> entries{
      {"a", dtype::f32, {10, 100}, std::as_bytes(std::span(a))},
      {"b", dtype::f32, {37}, std::as_bytes(std::span(b))},
      {"h", dtype::bf16, {513}, std::as_bytes(std::span(h))},
  };
  admn::io::save(dir / "m.safetensors", entries, {{"k", "v"}});
  const auto bytes = read_file(dir / "m.safetensors");
  const auto mapped = safetensors_file::open(dir / "m.safetensors");
  const auto read = safetensors_file::open(dir / "m.safetensors", {.backend = backend::read});
  const auto copied = safetensors_file::from_bytes(bytes);
  const auto borrowed = safetensors_file::borrow(bytes);
  for (const auto* f : {&mapped, &read, &copied, &borrowed}) {
    CHECK(f->keys() == mapped.keys());
    CHECK(f->metadata() == mapped.metadata());
    CHECK(f->file_size() == bytes.size());
    CHECK(f->header_size() == mapped.header_size());
    for (const auto& e : entries) {
      const auto t = f->tensor(e.name);
      REQUIRE(t.bytes().size() == e.bytes.size());
      CHECK(std::memcmp(t.bytes().data(), e.bytes.data(), e.bytes.size()) == 0);
    }
  }
}

TEST_CASE("reader: I/O failures are load_error [admn.safetensors.io]") {
  temp_dir dir;
  const auto expect_io = [](const std::filesystem::path& p, backend b, const char* fragment) {
    try {
      (void)safetensors_file::open(p, {.backend = b});
      FAIL("opened");
    } catch (const admn::load_error& e) {
      CHECK(e.id() == "admn.safetensors.io");
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    }
  };
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  for (const auto b : {backend::mmap, backend::read}) {
    expect_io(dir / "absent.safetensors", b, "absent.safetensors");
    expect_io(dir.path(), b, "not a regular file");
    expect_io(dir / "fifo", b, "not a regular file");  // must not block waiting for a writer
  }
}

TEST_CASE("reader: a moved file keeps its tensor views valid") {
  const auto bytes = sample_file();
  auto f = safetensors_file::from_bytes(bytes);
  const auto t = f.tensor("b.weight");
  const auto* data = t.bytes().data();
  const safetensors_file moved = std::move(f);
  CHECK(moved.tensor("b.weight").bytes().data() == data);
  CHECK(t.name() == "b.weight");
  CHECK(t.bytes()[0] == static_cast<std::byte>(8));
}

TEST_CASE("reader: trailing bytes, when allowed, are left out of the data section") {
  const std::string header = "{" + entry_json("a", "U8", "[4]", 0, 4) + "}";
  const auto bytes = make_file(header, 10);
  const auto f = safetensors_file::borrow(bytes, {.allow_trailing_bytes = true});
  CHECK(f.data_size() == 4);
  CHECK(f.file_size() == bytes.size());
  CHECK(f.tensor("a").bytes().size() == 4);
  temp_dir dir;
  write_file(dir / "t.safetensors", bytes);
  const auto r =
      safetensors_file::open(dir / "t.safetensors", {.backend = backend::read, .allow_trailing_bytes = true});
  CHECK(r.tensor("a").bytes()[3] == static_cast<std::byte>(3));
}

TEST_CASE("reader: a large data section reads identically by every backend") {
  // 8 MiB: large enough for glibc to serve the owned copy from its own mapping.
  std::vector<std::uint32_t> big((std::size_t{8} << 20) / 4 + 1024);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint32_t>(i * 2654435761u);
  std::vector<std::uint8_t> tail{1, 2, 3};
  const std::vector<admn::io::tensor_entry> entries{
      {"big", dtype::u32, {big.size()}, std::as_bytes(std::span(big))},
      {"tail", dtype::u8, {3}, std::as_bytes(std::span(tail))}};
  temp_dir dir;
  admn::io::save(dir / "big.safetensors", entries);
  const auto bytes = read_file(dir / "big.safetensors");
  const auto read = safetensors_file::open(dir / "big.safetensors", {.backend = backend::read});
  const auto copied = safetensors_file::from_bytes(bytes);
  for (const auto* f : {&read, &copied}) {
    const auto view = f->tensor("big").as<std::uint32_t>();
    REQUIRE(view.has_value());
    CHECK(reinterpret_cast<std::uintptr_t>(view->data()) % 64 == 0);
    CHECK(std::equal(view->begin(), view->end(), big.begin(), big.end()));
    CHECK(f->tensor("tail").bytes()[2] == std::byte{3});
  }
}

namespace {

// Resident KiB of the mapping that holds `p`, from /proc/self/smaps (Linux); -1 elsewhere.
long resident_kib_of_mapping(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2 && line.find(':') > line.find('-'))
      inside = begin <= at && at < end;
    else if (long kib = 0; inside && std::sscanf(line.c_str(), "Rss: %ld kB", &kib) == 1)
      return kib;
  }
  return -1;
}

}  // namespace

TEST_CASE("reader: release() keeps every backend's bytes, and a mapping's pages leave the resident set") {
  std::vector<float> big(std::size_t{1} << 20), small(3);  // 4 MiB, then a tensor sharing its last page
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i) * 0.5f;
  small = {1.0f, 2.0f, 3.0f};
  const std::vector<admn::io::tensor_entry> entries{
      {"big", dtype::f32, {big.size()}, std::as_bytes(std::span(big))},
      {"small", dtype::f32, {3}, std::as_bytes(std::span(small))}};
  temp_dir dir;
  admn::io::save(dir / "m.safetensors", entries);
  const auto bytes = read_file(dir / "m.safetensors");
  const auto mapped = safetensors_file::open(dir / "m.safetensors");
  const auto read = safetensors_file::open(dir / "m.safetensors", {.backend = backend::read});
  const auto copied = safetensors_file::from_bytes(bytes);
  const auto borrowed = safetensors_file::borrow(bytes);
  CHECK(mapped.mapped());
  for (const auto* f : {&read, &copied, &borrowed}) CHECK_FALSE(f->mapped());
  for (const auto* f : {&mapped, &read, &copied, &borrowed}) {
    const auto view = f->tensor("big").as<float>();
    REQUIRE(view.has_value());
    CHECK(std::equal(view->begin(), view->end(), big.begin(), big.end()));  // resident now
    f->release(*f->find("big"));
    f->release(*f->find("big"));                                            // twice is harmless
    CHECK(std::equal(view->begin(), view->end(), big.begin(), big.end()));  // read back after release
    f->release(*f->find("big"));
    CHECK(f->tensor("small").as<float>()->back() == 3.0f);
  }
  const long before = resident_kib_of_mapping(mapped.tensor("big").bytes().data());
  if (before >= 0) {  // Linux: the 4 MiB were resident after the last read, and are not now
    CHECK(before < 64);
    const auto again = *mapped.tensor("big").as<float>();
    CHECK(std::equal(again.begin(), again.end(), big.begin(), big.end()));
    CHECK(resident_kib_of_mapping(mapped.tensor("big").bytes().data()) >= 4096);
    mapped.release(*mapped.find("big"));
    CHECK(resident_kib_of_mapping(mapped.tensor("big").bytes().data()) < 64);
  }
}
