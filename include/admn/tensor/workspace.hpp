// admn/tensor/workspace.hpp — the scratch memory of a forward pass.
//
// A workspace is a 64-byte-aligned arena handed out by bump allocation: a forward
// pass takes what it needs and gives it back when its `scope` ends, so a repeated
// run never calls the heap. Nobody computes its size in advance. A take that does
// not fit the arena is served from a block of its own (so memory already handed out
// never moves), and when the last scope ends the arena grows to the most that was
// ever taken at once. The first run of a shape is therefore the sizing pass, and
// every later run of that shape, or of a smaller one, allocates nothing.
// One workspace per thread: it is not thread-safe; tasks that run in parallel each
// use one of its children().
#pragma once

#include <admn/error.hpp>
#include <admn/tensor/tensor.hpp>

#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace admn {

class workspace {
 public:
  // Every take() is rounded up to whole cache lines so each buffer is aligned.
  static constexpr std::size_t granule = tensor_alignment / sizeof(float);
  // No take may exceed this (2^60 bytes): a larger count is a caller's bug or a
  // hostile size, refused before the rounding below could overflow.
  static constexpr std::size_t max_take = std::size_t{1} << 58;

  // Floats that take(count) really consumes.
  [[nodiscard]] static constexpr std::size_t rounded(std::size_t count) noexcept {
    return (count + granule - 1) / granule * granule;
  }

  workspace() = default;
  // A workspace whose arena already holds `floats` (to size it before the first run).
  explicit workspace(std::size_t floats) { reserve(floats); }
  workspace(workspace&& other) noexcept { *this = std::move(other); }
  // Leaves `other` empty, as if default-constructed.
  workspace& operator=(workspace&& other) noexcept {
    arena_ = std::move(other.arena_);
    overflow_ = std::move(other.overflow_);
    children_ = std::move(other.children_);
    capacity_ = std::exchange(other.capacity_, 0);
    used_ = std::exchange(other.used_, 0);
    high_water_ = std::exchange(other.high_water_, 0);
    allocations_ = std::exchange(other.allocations_, 0);
    other.overflow_.clear();
    other.children_.clear();
    return *this;
  }

  // Grows the arena to at least `floats`. Throws argument_error
  // [admn.workspace.in_use] while buffers are taken (they would move).
  void reserve(std::size_t floats) {
    if (floats <= capacity()) return;
    if (used_ != 0)
      throw argument_error("admn.workspace.in_use",
                           "cannot grow a workspace while " + std::to_string(used_) + " floats are taken");
    check_count(floats);
    arena_.reset();
    capacity_ = 0;
    arena_.reset(allocate(rounded(floats)));
    if (!arena_) throw std::bad_alloc();
    capacity_ = rounded(floats);
    ++allocations_;
  }

  // Floats the arena holds (what a run can take without allocating).
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  // Floats taken now, including those served outside the arena.
  [[nodiscard]] std::size_t used() const noexcept { return used_; }
  // The most ever taken at once: what the runs so far really needed.
  [[nodiscard]] std::size_t high_water() const noexcept { return high_water_; }
  // Heap allocations made so far by this workspace and its children (arena growth,
  // blocks for takes beyond the arena, the table of children). A run that needed no
  // more than an earlier one leaves this unchanged.
  [[nodiscard]] std::size_t allocations() const noexcept {
    std::size_t total = allocations_;
    for (const auto& c : children_) total += c.allocations();
    return total;
  }

  // `count` floats, aligned to 64 bytes, contents unspecified, valid until the
  // enclosing scope ends. Throws argument_error [admn.workspace.size] for a count
  // above max_take; std::bad_alloc if the memory is not there.
  [[nodiscard]] float* take(std::size_t count) {
    check_count(count);
    const std::size_t need = rounded(count);
    if (used_ == 0 && high_water_ > capacity()) reserve(high_water_);
    float* out = nullptr;
    if (used_ <= capacity() && need <= capacity() - used_) {
      out = arena_.get() + used_;
    } else {
      overflow_.push_back({used_, tensor::uninitialized(shape{need})});
      ++allocations_;
      out = overflow_.back().storage.data();
    }
    used_ += need;
    if (used_ > high_water_) high_water_ = used_;
    return out;
  }
  [[nodiscard]] mutable_view take(const shape& s) { return {take(s.element_count()), s}; }

  // `count` workspaces for tasks that run in parallel, one each. They belong to this
  // workspace and keep their arenas between runs, so a repeated run allocates nothing.
  // Spans from an earlier call stay valid unless this one adds children; adding them
  // while a child has buffers taken throws argument_error [admn.workspace.in_use].
  [[nodiscard]] std::span<workspace> children(std::size_t count) {
    if (count > children_.size()) {
      for (const auto& c : children_)
        if (c.used_ != 0)
          throw argument_error("admn.workspace.in_use", "cannot add child workspaces while one has " +
                                                            std::to_string(c.used_) + " floats taken");
      children_.resize(count);
      ++allocations_;
    }
    return {children_.data(), count};
  }

  // Returns everything taken during its lifetime to the workspace.
  class scope {
   public:
    explicit scope(workspace& ws) noexcept : ws_(ws), mark_(ws.used_) {}
    ~scope() { ws_.release(mark_); }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    workspace& ws_;
    std::size_t mark_;
  };

 private:
  // A take the arena could not hold, at logical offset `start`.
  struct overflow_block {
    std::size_t start;
    tensor storage;
  };

  static void check_count(std::size_t count) {
    if (count > max_take)
      throw argument_error("admn.workspace.size", "a workspace cannot give " + std::to_string(count) +
                                                      " floats (at most " + std::to_string(max_take) + ")");
  }

  // nullptr when the memory is not there.
  static float* allocate(std::size_t floats) noexcept {
    return static_cast<float*>(
        ::operator new[](floats * sizeof(float), std::align_val_t{tensor_alignment}, std::nothrow));
  }

  // Back to `mark`; once nothing is taken, the arena grows to the high water so the
  // next run fits. Should the memory not be there, the next take() tries again and throws.
  void release(std::size_t mark) noexcept {
    used_ = mark;
    while (!overflow_.empty() && overflow_.back().start >= mark) overflow_.pop_back();
    if (used_ == 0 && high_water_ > capacity_) {
      arena_.reset();
      capacity_ = 0;
      arena_.reset(allocate(high_water_));
      if (arena_) {
        capacity_ = high_water_;
        ++allocations_;
      }
    }
  }

  std::unique_ptr<float[], detail::aligned_delete> arena_;
  std::size_t capacity_ = 0;
  std::vector<overflow_block> overflow_;
  std::vector<workspace> children_;
  std::size_t used_ = 0;
  std::size_t high_water_ = 0;
  std::size_t allocations_ = 0;
};

}  // namespace admn
