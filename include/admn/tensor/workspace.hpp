// admn/tensor/workspace.hpp — the scratch memory of a forward pass.
//
// A workspace is one 64-byte-aligned arena, sized once (by the model, for the
// largest batch it will see) and then handed out by bump allocation. A forward
// pass takes what it needs and gives it back when its `scope` ends, so the hot
// path never calls the heap. One workspace per thread: it is not thread-safe.
#pragma once

#include <admn/error.hpp>
#include <admn/tensor/tensor.hpp>

#include <cstddef>
#include <string>

namespace admn {

class workspace {
 public:
  // Every take() is rounded up to whole cache lines so each buffer is aligned.
  static constexpr std::size_t granule = tensor_alignment / sizeof(float);

  // Floats that take(count) really consumes; sizing functions add these up.
  [[nodiscard]] static constexpr std::size_t rounded(std::size_t count) noexcept {
    return (count + granule - 1) / granule * granule;
  }

  workspace() = default;
  explicit workspace(std::size_t floats) { reserve(floats); }
  workspace(workspace&&) noexcept = default;
  workspace& operator=(workspace&&) noexcept = default;

  // A workspace over `floats` floats of someone else's memory (64-byte aligned);
  // it cannot grow. See carve().
  workspace(float* memory, std::size_t floats) noexcept : external_(memory), external_size_(floats) {}

  // Grows the arena to at least `floats` (the only place that allocates).
  // Must not be called while buffers are taken.
  void reserve(std::size_t floats) {
    if (floats <= capacity()) return;
    if (external_ != nullptr)
      throw argument_error("admn.workspace.fixed", "a carved workspace of " + std::to_string(capacity()) +
                                                       " floats cannot grow to " + std::to_string(floats));
    if (used_ != 0)
      throw argument_error("admn.workspace.in_use",
                           "cannot grow a workspace while " + std::to_string(used_) + " floats are taken");
    storage_ = tensor::uninitialized(shape{rounded(floats)});
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return external_ ? external_size_ : storage_.size(); }
  [[nodiscard]] std::size_t used() const noexcept { return used_; }
  // The most ever taken at once: what a model really needed.
  [[nodiscard]] std::size_t high_water() const noexcept { return high_water_; }

  // `count` floats, aligned to 64 bytes, contents unspecified.
  [[nodiscard]] float* take(std::size_t count) {
    const std::size_t need = rounded(count);
    if (need > capacity() - used_)
      throw argument_error("admn.workspace.too_small", "workspace of " + std::to_string(capacity()) +
                                                           " floats cannot give " + std::to_string(need) +
                                                           " more (" + std::to_string(used_) + " taken)");
    float* out = base() + used_;
    used_ += need;
    if (used_ > high_water_) high_water_ = used_;
    return out;
  }
  [[nodiscard]] mutable_view take(const shape& s) { return {take(s.element_count()), s}; }

  // Takes `floats` and returns them as a separate workspace, so that parallel tasks
  // each get their own arena. Valid until the enclosing scope of this one ends.
  [[nodiscard]] workspace carve(std::size_t floats) { return {take(floats), rounded(floats)}; }

  // Returns everything taken during its lifetime to the workspace.
  class scope {
   public:
    explicit scope(workspace& ws) noexcept : ws_(ws), mark_(ws.used_) {}
    ~scope() { ws_.used_ = mark_; }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    workspace& ws_;
    std::size_t mark_;
  };

 private:
  [[nodiscard]] float* base() noexcept { return external_ ? external_ : storage_.data(); }

  tensor storage_;
  float* external_ = nullptr;
  std::size_t external_size_ = 0;
  std::size_t used_ = 0;
  std::size_t high_water_ = 0;
};

}  // namespace admn
