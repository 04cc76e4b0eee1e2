// libFuzzer target: whole-file loading (safetensors_file::borrow / from_bytes).
//
// Any admn::error is a correct rejection. Anything else — a crash, a sanitizer report, a
// non-admn exception (bad_alloc from a declared size, length_error …) or a broken
// invariant below — is a finding. On acceptance the file must satisfy the layout rules,
// every byte is read, every convertible tensor is widened, and writing the tensors back
// out must parse to the same content (and re-serialize to the same bytes).
#include <admn/io.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace {

using admn::io::open_options;
using admn::io::safetensors_file;

#define FUZZ_CHECK(condition)                                                                   \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "fuzz_load invariant broken: %s (line %d)\n", #condition, __LINE__); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

// Opens `bytes`, returning the error id ("" on success) and the file through `out`.
std::string try_open(std::span<const std::byte> bytes, const open_options& options,
                     std::optional<safetensors_file>& out) {
  try {
    out.emplace(safetensors_file::borrow(bytes, options));
    return "";
  } catch (const admn::error& e) {
    FUZZ_CHECK(std::string(e.what()).rfind("[" + e.id() + "] ", 0) == 0);
    return e.id();
  }
}

void check_accepted(const safetensors_file& f, std::span<const std::byte> bytes,
                    const open_options& options) {
  FUZZ_CHECK(f.file_size() == bytes.size());
  FUZZ_CHECK(f.data_offset() == 8 + f.header_size());
  FUZZ_CHECK(f.header_size() <= options.max_header_bytes);
  FUZZ_CHECK(f.data_offset() <= f.file_size() && f.data_size() <= f.file_size() - f.data_offset());
  if (!options.allow_trailing_bytes) FUZZ_CHECK(f.data_offset() + f.data_size() == f.file_size());

  const auto tensors = f.tensors();
  FUZZ_CHECK(tensors.size() == f.size());
  for (std::size_t i = 1; i < tensors.size(); ++i) FUZZ_CHECK(tensors[i - 1].name < tensors[i].name);

  // Sorted by offset, the tensors tile [0, data_size()).
  std::uint64_t covered = 0;
  const auto order = f.offset_keys();
  FUZZ_CHECK(order.size() == tensors.size());
  for (const auto& name : order) {
    const auto& t = f.info(name);
    FUZZ_CHECK(t.begin == covered);
    FUZZ_CHECK(t.end >= t.begin);
    covered = t.end;
  }
  FUZZ_CHECK(covered == f.data_size());

  const std::byte* first = bytes.data() + f.data_offset();
  const std::byte* last = bytes.data() + bytes.size();
  unsigned checksum = 0;
  for (const auto& t : tensors) {
    FUZZ_CHECK(t.name != "__metadata__");
    if (options.max_rank) FUZZ_CHECK(t.shape.size() <= *options.max_rank);
    const auto count = admn::io::detail::checked_count(t.shape);
    FUZZ_CHECK(count.has_value());
    FUZZ_CHECK(admn::dtype_byte_size(t.type, *count) == t.byte_size());
    FUZZ_CHECK(*count == t.element_count());

    const auto data = f.view(t);
    FUZZ_CHECK(data.bytes().size() == t.byte_size());
    if (!data.bytes().empty()) {
      FUZZ_CHECK(data.bytes().data() >= first && data.bytes().data() + data.bytes().size() <= last);
      FUZZ_CHECK(data.bytes().data() == first + t.begin);
    }
    for (const std::byte b : data.bytes()) checksum += static_cast<unsigned>(b);  // every byte read (ASan)

    if (admn::io::detail::converts_to_f32(t.type)) {
      // Widening types are ≥ 8 bits, so the output is at most 4× the bytes present.
      std::vector<float> out(static_cast<std::size_t>(*count));
      data.to_f32(out);
      for (const float v : out) checksum += v == v ? 1u : 0u;
    }
    if (const auto view = data.as<float>()) FUZZ_CHECK(view->size() == *count);
    if (const auto view = data.as<std::uint16_t>()) FUZZ_CHECK(view->size() == *count);
  }
  volatile unsigned sink = checksum;
  (void)sink;

  // Write the tensors back out: the result parses to the same content, and is a fixpoint.
  std::vector<admn::io::tensor_entry> entries;
  for (const auto& t : tensors) entries.push_back({t.name, t.type, t.shape, f.view(t).bytes()});
  const auto metadata = f.metadata().value_or(std::map<std::string, std::string>{});
  std::vector<std::byte> rewritten;
  try {
    rewritten = admn::io::serialize(entries, metadata);
  } catch (const admn::error& e) {
    std::fprintf(stderr, "serialize refused a valid file's tensors: %s\n", e.what());
    std::abort();
  }
  std::optional<safetensors_file> again;
  const std::string id = try_open(rewritten, {}, again);
  if (!id.empty()) std::fprintf(stderr, "re-parse failed: %s\n", id.c_str());
  FUZZ_CHECK(id.empty());
  FUZZ_CHECK(again->size() == f.size());
  FUZZ_CHECK(again->metadata().value_or(std::map<std::string, std::string>{}) == metadata);
  FUZZ_CHECK(again->header_size() % 8 == 0);
  for (const auto& t : tensors) {
    const auto* u = again->find(t.name);
    FUZZ_CHECK(u != nullptr);
    FUZZ_CHECK(u->type == t.type && u->shape == t.shape && u->byte_size() == t.byte_size());
    const auto a = f.view(t).bytes();
    const auto b = again->view(*u).bytes();
    FUZZ_CHECK(a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0));
  }
  std::vector<admn::io::tensor_entry> entries_again;
  for (const auto& t : again->tensors())
    entries_again.push_back({t.name, t.type, t.shape, again->view(t).bytes()});
  FUZZ_CHECK(admn::io::serialize(entries_again, again->metadata().value_or(metadata)) == rewritten);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);

  const open_options defaults{};
  std::optional<safetensors_file> file;
  const std::string id = try_open(bytes, defaults, file);
  if (id.empty()) check_accepted(*file, bytes, defaults);

  // Trailing bytes are the last check: allowing them accepts exactly those files too.
  open_options lenient{};
  lenient.allow_trailing_bytes = true;
  std::optional<safetensors_file> relaxed;
  const std::string lenient_id = try_open(bytes, lenient, relaxed);
  if (id == "admn.safetensors.trailing_bytes" || id.empty())
    FUZZ_CHECK(lenient_id.empty());
  else
    FUZZ_CHECK(lenient_id == id);
  if (lenient_id.empty()) check_accepted(*relaxed, bytes, lenient);

  // Tighter caps only add rejections, with their own ids.
  open_options tight{};
  tight.max_json_depth = 4;
  tight.max_rank = 2;
  std::optional<safetensors_file> capped;
  const std::string tight_id = try_open(bytes, tight, capped);
  if (tight_id.empty()) {
    FUZZ_CHECK(id.empty());
    check_accepted(*capped, bytes, tight);
  } else if (id.empty()) {
    FUZZ_CHECK(tight_id == "admn.safetensors.json_too_deep" || tight_id == "admn.safetensors.rank_too_large");
  }

  // The copying constructor agrees with the borrowing one.
  try {
    const auto copy = safetensors_file::from_bytes(bytes);
    FUZZ_CHECK(id.empty());
    FUZZ_CHECK(copy.keys() == file->keys());
    for (const auto& t : copy.tensors()) {
      const auto a = copy.view(t).bytes();
      const auto b = file->tensor(t.name).bytes();
      FUZZ_CHECK(a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0));
    }
  } catch (const admn::error& e) {
    FUZZ_CHECK(e.id() == id);
  }
  return 0;
}
