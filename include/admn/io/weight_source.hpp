// admn/io/weight_source.hpp — binding weights by checkpoint key (the PyTorch state_dict name).
//
//   auto file = std::make_shared<const admn::io::safetensors_file>(
//       admn::io::safetensors_file::open("model.safetensors"));
//   admn::io::weight_source weights(file);
//   auto block = weights.sub("vision.").sub("blocks.3.");
//   admn::tensor qkv = block.load("attn.qkv.weight", admn::shape{2304, 768});
//   ...
//   for (const auto& key : weights.unused_keys()) warn(key);
//
// Keys are relative to the source's prefix; messages and unused_keys() use full keys.
// Errors (admn::load_error):
//   [admn.load.missing] tensor 'vision.blocks.3.attn.qkv.weigth' not found; nearest:
//                       'vision.blocks.3.attn.qkv.weight', … (up to 3, by edit distance)
//   [admn.load.shape]   tensor 'vision.blocks.3.attn.qkv.weight': expected [2304,768], got [2304,384]
//   [admn.load.dtype]   tensor 'x': dtype I64, expected F32 (or F16/BF16, converted)
// Weights load as f32 admn::tensor (64-byte aligned copies). F16 and BF16 widen exactly
// when weight_options::convert_half is set; every other dtype is an error, since admn
// computes in f32 (docs/design.md "Numerics contract").
//
// Each load copies the tensor out, then drops its mapped pages from the resident set
// (safetensors_file::release), so loading a model keeps about one copy of the weights
// resident, not two.
//
// Copies of a source (and its sub() sources) share the file and one usage record; the
// record is guarded by a mutex, so sources may load from several threads at once.
#pragma once

#include <admn/error.hpp>
#include <admn/io/detail/text.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/tensor/shape.hpp>
#include <admn/tensor/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace admn::io {

struct weight_options {
  bool convert_half = true;  // F16/BF16 → F32 on load; when false they are [admn.load.dtype]
};

namespace detail {

// Levenshtein distance over at most the first 256 bytes of each string (enough to rank
// key names; bounds the cost for hostile names), giving up above `cutoff`.
[[nodiscard]] inline std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cutoff) {
  a = a.substr(0, 256);
  b = b.substr(0, 256);
  const std::size_t gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (gap > cutoff) return gap;
  std::vector<std::size_t> row(b.size() + 1), next(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    next[0] = i;
    std::size_t best = next[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      next[j] = std::min({row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      best = std::min(best, next[j]);
    }
    if (best > cutoff) return best;  // every later row is at least this far
    std::swap(row, next);
  }
  return row[b.size()];
}

// Up to `count` file keys nearest to `key`, nearest first (ties in name order).
[[nodiscard]] inline std::vector<std::string_view> nearest_keys(const safetensors_file& file,
                                                                std::string_view key, std::size_t count = 3) {
  std::vector<std::pair<std::size_t, std::string_view>> best;  // sorted (distance, name)
  for (const tensor_info& t : file.tensors()) {
    const std::size_t cutoff = best.size() < count ? SIZE_MAX : best.back().first;
    const std::size_t d = edit_distance(key, t.name, cutoff);
    if (best.size() == count && d >= best.back().first) continue;
    best.insert(std::upper_bound(best.begin(), best.end(), d,
                                 [](std::size_t v, const auto& entry) { return v < entry.first; }),
                {d, t.name});
    if (best.size() > count) best.pop_back();
  }
  std::vector<std::string_view> out;
  for (const auto& entry : best) out.push_back(entry.second);
  return out;
}

}  // namespace detail

class weight_source {
 public:
  // Throws argument_error [admn.load.no_file] for a null file.
  explicit weight_source(std::shared_ptr<const safetensors_file> file, weight_options options = {})
      : file_(std::move(file)), options_(options) {
    if (!file_) throw argument_error("admn.load.no_file", "weight_source needs a file");
    usage_ = std::make_shared<usage>();
    usage_->used.assign(file_->size(), false);
  }

  // A source for the keys under prefix() + `prefix`; shares the file and usage record.
  [[nodiscard]] weight_source sub(std::string_view prefix) const {
    weight_source out = *this;
    out.prefix_.append(prefix);
    return out;
  }

  [[nodiscard]] const std::string& prefix() const noexcept { return prefix_; }
  [[nodiscard]] const safetensors_file& file() const noexcept { return *file_; }
  [[nodiscard]] const weight_options& options() const noexcept { return options_; }

  [[nodiscard]] bool contains(std::string_view key) const { return file_->contains(full_key(key)); }

  // The stored shape of `key`; throws load_error [admn.load.missing].
  [[nodiscard]] std::vector<std::uint64_t> shape_of(std::string_view key) const { return require(key).shape; }

  // `key` as an f32 tensor of shape `expected`; marks it used. Throws load_error
  // [admn.load.missing], [admn.load.shape], [admn.load.dtype] (checked in that order).
  [[nodiscard]] admn::tensor load(std::string_view key, const admn::shape& expected) const {
    const tensor_info& t = require_shape(key, expected);
    return convert(t, expected);
  }

  // Calls fn(std::span<const float> values) with `key` (of shape `expected`, row-major)
  // as f32 and returns its result: the file's bytes themselves when it stores aligned F32
  // (no copy: for layers that re-lay weights out anyway), else a converted temporary.
  // The span is valid during the call only; its mapped pages are released afterwards.
  // Marks the key used; throws as load(key, expected), before calling fn.
  template <class Fn>
  decltype(auto) read(std::string_view key, const admn::shape& expected, Fn&& fn) const {
    const tensor_info& t = require_shape(key, expected);
    struct release_after {
      const safetensors_file& file;
      const tensor_info& t;
      ~release_after() { file.release(t); }
    } release{*file_, t};
    if (const auto direct = file_->view(t).as<float>()) {
      mark(t);
      return std::forward<Fn>(fn)(*direct);
    }
    const admn::tensor copy = convert(t, expected);
    return std::forward<Fn>(fn)(std::span<const float>(copy.values()));
  }

  // `key` as an f32 tensor of its stored shape (rank ≤ admn::max_rank); marks it used.
  [[nodiscard]] admn::tensor load(std::string_view key) const {
    const tensor_info& t = require(key);
    const auto made = admn::shape::try_make(std::span<const std::uint64_t>(t.shape));
    if (!made)
      throw load_error("admn.load.shape", "tensor " + detail::quote_name(t.name) + ": shape " +
                                              detail::dims_string(t.shape) + " has more than " +
                                              std::to_string(admn::max_rank) + " dimensions");
    return convert(t, *made);
  }

  // Counts `key` as used without loading it (e.g. BatchNorm's num_batches_tracked).
  // An absent key is ignored, so ignore lists may name keys a checkpoint lacks.
  void mark_unused_ok(std::string_view key) const {
    if (const tensor_info* t = file_->find(full_key(key))) mark(*t);
  }

  // Full keys under prefix() that nothing loaded or marked, sorted.
  [[nodiscard]] std::vector<std::string> unused_keys() const {
    std::vector<std::string> out;
    const auto tensors = file_->tensors();
    const std::lock_guard lock(usage_->mutex);
    for (std::size_t i = 0; i < tensors.size(); ++i)
      if (!usage_->used[i] && std::string_view(tensors[i].name).starts_with(prefix_))
        out.push_back(tensors[i].name);
    return out;
  }

 private:
  struct usage {
    std::mutex mutex;
    std::vector<bool> used;  // by index into file().tensors()
  };

  [[nodiscard]] std::string full_key(std::string_view key) const {
    std::string full = prefix_;
    full.append(key);
    return full;
  }

  const tensor_info& require_shape(std::string_view key, const admn::shape& expected) const {
    const tensor_info& t = require(key);
    const auto stored = std::span<const std::uint64_t>(t.shape);
    const auto wanted = expected.dims();
    if (!std::equal(stored.begin(), stored.end(), wanted.begin(), wanted.end()))
      throw load_error("admn.load.shape", "tensor " + detail::quote_name(t.name) + ": expected " +
                                              expected.to_string() + ", got " + detail::dims_string(stored));
    return t;
  }

  const tensor_info& require(std::string_view key) const {
    const std::string full = full_key(key);
    if (const tensor_info* t = file_->find(full)) return *t;
    std::string message = "tensor " + detail::quote_name(full) + " not found";
    const auto nearest = detail::nearest_keys(*file_, full);
    if (nearest.empty()) message += "; the file has no tensors";
    for (std::size_t i = 0; i < nearest.size(); ++i)
      message += (i == 0 ? "; nearest: " : ", ") + detail::quote_name(nearest[i]);
    throw load_error("admn.load.missing", message);
  }

  admn::tensor convert(const tensor_info& t, const admn::shape& s) const {
    const bool half = t.type == dtype::f16 || t.type == dtype::bf16;
    if (t.type != dtype::f32 && !(half && options_.convert_half))
      throw load_error("admn.load.dtype",
                       "tensor " + detail::quote_name(t.name) + ": dtype " + std::string(dtype_name(t.type)) +
                           ", expected F32" +
                           (half ? " (F16/BF16 conversion is off)" : " (or F16/BF16, converted)"));
    admn::tensor out(s);
    file_->view(t).to_f32(out.values());
    mark(t);
    file_->release(t);  // copied: the mapped pages need not stay resident
    return out;
  }

  void mark(const tensor_info& t) const {
    const auto index = static_cast<std::size_t>(&t - file_->tensors().data());
    const std::lock_guard lock(usage_->mutex);
    usage_->used[index] = true;
  }

  std::shared_ptr<const safetensors_file> file_;
  std::shared_ptr<usage> usage_;
  std::string prefix_;
  weight_options options_;
};

}  // namespace admn::io
