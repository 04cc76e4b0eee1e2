// libFuzzer target: the layers after the loader. A valid small model (the reduced GTDM,
// AVE or MM-Fi fixture) is rewritten by an edit script read from the fuzz input —
// tensor shapes, dtypes, names, removals and copies, the admn.arch and admn.config
// metadata — and saved; inputs for its modalities are made and edited the same way
// (shapes, NaN/±Inf/huge values); then the network is loaded and run as admn-run does
// (shape and finiteness checks, workspace, budget or plan; describe() and macs() too).
// Any admn::error is a correct rejection; a result is a correct run. Anything else — a
// crash, a sanitizer report, a non-admn exception (bad_alloc, length_error …) — is a finding.
//
// Input: [model][flags][budget] then ops until the input ends:
//   0 k k r d…   shape of tensor k := r dims (each from a table of small and edge sizes)
//   1 k k t      dtype of tensor k := one of a list (data refilled when the size changes)
//   2 k k        remove tensor k
//   3 k k p c    rename tensor k: character p := c
//   4 k k        copy tensor k under a new name (name + ".x")
//   5 n text…    admn.config := n bytes of text
//   6 a          admn.arch := one of the registry's archs or "x"; 7: no admn.config
//   8 m a d      input m: extent a := a size from the table
//   9 m i i v    input m: element i := one of NaN, ±Inf, ±3e38, -0, the smallest subnormal
// Sizes are capped (2^18 elements per tensor, 2^22 per input), so no input needs much memory.
#include <admn/adaptive/static_plan.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/io/writer.hpp>
#include <admn/zoo/registry.hpp>

#include "common/model_text.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#ifndef ADMN_FUZZ_FIXTURES
#error "ADMN_FUZZ_FIXTURES must name tests/fixtures/networks"
#endif

namespace {

using admn::test::model_text;
using admn::test::owned_tensor;

model_text read_model(const char* name) {
  return admn::test::read_model_text(std::string(ADMN_FUZZ_FIXTURES) + "/" + name);
}

const std::array<model_text, 3>& models() {
  static const std::array<model_text, 3> all{read_model("gtdm_small.safetensors"),
                                             read_model("ave_small.safetensors"),
                                             read_model("mmfi_small.safetensors")};
  return all;
}

// Sizes a mutation may set: zero, small, the fixtures' own, and off-by-one neighbours.
constexpr std::array<std::uint64_t, 24> sizes{0,  1,  2,  3,  4,  5,  7,  8,  9,   12,  16,  17,
                                              20, 24, 31, 32, 33, 48, 64, 96, 128, 129, 224, 4096};
constexpr std::array<admn::dtype, 10> dtypes{
    admn::dtype::f32, admn::dtype::f16, admn::dtype::bf16,    admn::dtype::f64, admn::dtype::i8,
    admn::dtype::u8,  admn::dtype::i32, admn::dtype::boolean, admn::dtype::c64, admn::dtype::f8_e4m3};
constexpr std::uint64_t max_tensor_elements = std::uint64_t{1} << 18;
constexpr std::uint64_t max_input_elements = std::uint64_t{1} << 22;

class reader {
 public:
  reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] bool done() const noexcept { return pos_ >= size_; }
  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t word() noexcept { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

std::uint64_t elements(const std::vector<std::uint64_t>& shape) {
  std::uint64_t n = 1;
  for (const auto d : shape) {
    if (d != 0 && n > max_input_elements / d) return max_input_elements + 1;
    n *= d;
  }
  return n;
}

// Refills t's bytes for its dtype and shape: small deterministic values (garbage bit
// patterns for the integer and narrow float types are fine: the network must cope).
void refill(owned_tensor& t) {
  const auto bytes = admn::dtype_byte_size(t.type, elements(t.shape));
  t.bytes.assign(bytes.value_or(0), std::byte{0});
  if (t.type == admn::dtype::f32) {
    for (std::size_t i = 0; i + 4 <= t.bytes.size(); i += 4) {
      const float v = static_cast<float>(static_cast<int>((i / 4) * 37 % 201) - 100) / 128.0f;
      std::memcpy(t.bytes.data() + i, &v, 4);
    }
    return;
  }
  for (std::size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] = static_cast<std::byte>((i * 37 + 11) % 61);
}

struct input_edit {
  std::uint8_t kind, modality, a;
  std::uint16_t index;
};

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_network invariant broken: %s\n", what);
    std::abort();
  }
}

void run_network(const model_text& m, std::uint8_t flags, std::uint8_t budget,
                 const std::vector<input_edit>& edits) {
  std::vector<admn::io::tensor_entry> entries;
  for (const auto& t : m.tensors) entries.push_back({t.name, t.type, t.shape, t.bytes});
  // In memory: the writer's bytes, read back by the loader under test.
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::from_bytes(admn::io::serialize(entries, m.metadata)));
  const bool antialias = flags & 1;
  admn::zoo::with_network(file, antialias, [&](const auto& net, const admn::io::weight_source&) {
    (void)net.describe();
    const auto specs = net.input_specs();
    const std::size_t batch = 1 + ((flags >> 3) & 3);
    std::vector<admn::tensor> inputs;
    for (const auto& s : specs) {
      std::vector<std::uint64_t> dims{batch, s.instances, s.channels, s.height, s.width};
      for (const auto& e : edits)
        if (e.kind == 8 && e.modality % specs.size() == inputs.size())
          dims[e.a % 5] = sizes[e.index % sizes.size()];
      if (elements(dims) > max_input_elements) dims[0] = 0;
      std::vector<std::size_t> extents(dims.begin(), dims.end());
      admn::tensor t{admn::shape(std::span<const std::size_t>(extents))};
      for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(i % 255) / 255.0f;
      inputs.push_back(std::move(t));
    }
    const std::array<float, 7> specials{std::numeric_limits<float>::quiet_NaN(),
                                        std::numeric_limits<float>::infinity(),
                                        -std::numeric_limits<float>::infinity(),
                                        3e38f,
                                        -3e38f,
                                        -0.0f,
                                        std::numeric_limits<float>::denorm_min()};
    for (const auto& e : edits)
      if (e.kind == 9) {
        auto& t = inputs[e.modality % inputs.size()];
        if (t.size() != 0) t.data()[e.index % t.size()] = specials[e.a % specials.size()];
      }
    std::vector<admn::const_view> views;
    for (const auto& t : inputs) views.push_back(t.view());
    const std::size_t checked = admn::model::check_input_shapes(views, specs);
    check(checked == batch, "batch of checked inputs");
    const bool check_finite = flags & 4;
    if (check_finite) admn::model::check_finite(views, specs);
    admn::model::run_options options{.check_finite = check_finite};
    if (flags & 2)
      options.plan = admn::adaptive::parse_plan(budget % 2 ? "all" : "first:1", net.depths());
    else
      options.budget = budget % (net.total_blocks() + 3);
    if (options.plan) (void)net.macs(options.plan->masks());
    admn::workspace ws;
    const auto result = net.run(views, options, ws);
    check(result.plans.size() == batch, "one plan per sample");
    return 0;
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in(data, size);
  model_text m = models()[in.byte() % models().size()];
  const std::uint8_t flags = in.byte();
  const std::uint8_t budget = in.byte();
  std::vector<input_edit> edits;
  static const char* const archs[] = {"gtdm",        "gtdm_blur", "gtdm_lowlight", "gtdm_3mod", "ave",
                                      "ave_unequal", "mmfi",      "digits",        "x"};
  for (int ops = 0; !in.done() && ops < 256; ++ops) {
    const std::uint8_t op = in.byte() % 10;
    if (op == 5) {
      std::string text;
      for (std::uint8_t n = in.byte(); n > 0 && !in.done(); --n) text += static_cast<char>(in.byte());
      m.metadata["admn.config"] = text;
      continue;
    }
    if (op == 6) {
      m.metadata["admn.arch"] = archs[in.byte() % 5];
      continue;
    }
    if (op == 7) {
      m.metadata.erase("admn.config");
      continue;
    }
    if (op == 8 || op == 9) {
      input_edit e{op, in.byte(), in.byte(), 0};
      e.index = op == 8 ? in.byte() : in.word();
      edits.push_back(e);
      continue;
    }
    if (m.tensors.empty()) continue;
    const std::size_t k = in.word() % m.tensors.size();
    owned_tensor& t = m.tensors[k];
    if (op == 0) {
      std::vector<std::uint64_t> shape(in.byte() % 6);
      for (auto& d : shape) d = sizes[in.byte() % sizes.size()];
      if (elements(shape) > max_tensor_elements) continue;
      t.shape = shape;
      refill(t);
    } else if (op == 1) {
      t.type = dtypes[in.byte() % dtypes.size()];
      refill(t);
    } else if (op == 2) {
      m.tensors.erase(m.tensors.begin() + static_cast<std::ptrdiff_t>(k));
    } else if (op == 3) {
      const std::uint8_t p = in.byte(), c = in.byte();
      if (!t.name.empty() && c >= 0x20 && c < 0x7f) t.name[p % t.name.size()] = static_cast<char>(c);
    } else if (op == 4) {
      owned_tensor copy = t;
      copy.name += ".x";
      m.tensors.push_back(std::move(copy));
    }
  }
  // ADMN_FUZZ_VERBOSE=1: one line per input, "ran" or the error id (to see what a corpus reaches).
  static const bool verbose = std::getenv("ADMN_FUZZ_VERBOSE") != nullptr;
  try {
    run_network(m, flags, budget, edits);
    if (verbose) std::fprintf(stderr, "ran\n");
  } catch (const admn::error& e) {
    check(std::string(e.what()).rfind("[" + e.id() + "] ", 0) == 0, "message starts with the error id");
    if (verbose) std::fprintf(stderr, "%s\n", e.what());
  }
  return 0;
}
