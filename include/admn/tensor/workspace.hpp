// admn/tensor/workspace.hpp — the scratch memory of a forward pass.
//
// A workspace hands out 64-byte-aligned buffers by bump allocation: a forward pass
// takes what it needs and gives it back when its `scope` ends, so a repeated run
// never calls the operating system. Nobody computes its size in advance. When a take
// does not fit, the workspace chains a further chunk (at least as large as all before
// it; the first is mostly address space, see tensor/scratch_memory.hpp), so memory
// already handed out never moves and chunks are reused by later takes of the same run; when the last scope
// ends, the chunks become one arena of the most that was ever taken at once. The first run of a shape is
// therefore the sizing pass, and every later run of that shape, or of a smaller one, allocates nothing. One
// workspace per thread: it is not thread-safe; tasks that run in parallel each use one of its children().
#pragma once

#include <admn/error.hpp>
#include <admn/tensor/scratch_memory.hpp>
#include <admn/tensor/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <new>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace admn {

class workspace {
  // Where the next take goes: chunk, floats taken from it, floats taken in all.
  struct position {
    std::size_t chunk = 0;
    std::size_t offset = 0;
    std::size_t used = 0;
  };

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
    chunks_ = std::exchange(other.chunks_, {});
    children_ = std::exchange(other.children_, {});
    at_ = std::exchange(other.at_, {});
    high_water_ = std::exchange(other.high_water_, 0);
    allocations_ = std::exchange(other.allocations_, 0);
    return *this;
  }

  // Makes the arena one block of at least `floats`. Throws argument_error
  // [admn.workspace.in_use] while buffers are taken (they would move).
  void reserve(std::size_t floats) {
    if (chunks_.size() <= 1 && floats <= capacity()) return;
    if (at_.used != 0)
      throw argument_error("admn.workspace.in_use",
                           "cannot grow a workspace while " + std::to_string(at_.used) + " floats are taken");
    check_count(floats);
    chunks_.reserve(1);  // make_arena() cannot throw for its table
    if (!make_arena(std::max(rounded(floats), high_water_))) throw std::bad_alloc();
  }

  // Floats the workspace holds (its arena, or its chunks during a sizing pass).
  [[nodiscard]] std::size_t capacity() const noexcept {
    std::size_t total = 0;
    for (const auto& c : chunks_) total += c.size();
    return total;
  }
  // Floats taken now.
  [[nodiscard]] std::size_t used() const noexcept { return at_.used; }
  // The most ever taken at once: what the runs so far really needed.
  [[nodiscard]] std::size_t high_water() const noexcept { return high_water_; }
  // Memory obtained so far by this workspace and its children (chunks, arenas, the
  // table of children). A run that needed no more than an earlier one leaves this
  // unchanged.
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
    if (at_.used == 0 && needs_arena() && !make_arena(high_water_)) throw std::bad_alloc();
    if (need == 0) return chunks_.empty() ? nullptr : chunks_[at_.chunk].data() + at_.offset;
    if (chunks_.empty() || need > chunks_[at_.chunk].size() - at_.offset) next_chunk(need);
    float* out = chunks_[at_.chunk].data() + at_.offset;
    at_.offset += need;
    at_.used += need;
    high_water_ = std::max(high_water_, at_.used);
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
        if (c.at_.used != 0)
          throw argument_error("admn.workspace.in_use", "cannot add child workspaces while one has " +
                                                            std::to_string(c.at_.used) + " floats taken");
      children_.resize(count);
      ++allocations_;
    }
    return {children_.data(), count};
  }

  // Returns everything taken during its lifetime to the workspace.
  class scope {
   public:
    explicit scope(workspace& ws) noexcept : ws_(ws), mark_(ws.at_) {}
    ~scope() { ws_.release(mark_); }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    workspace& ws_;
    position mark_;
  };

 private:
  static void check_count(std::size_t count) {
    if (count > max_take)
      throw argument_error("admn.workspace.size", "a workspace cannot give " + std::to_string(count) +
                                                      " floats (at most " + std::to_string(max_take) + ")");
  }

  // More than one chunk, or fewer floats than a run has taken: time to (re)make the arena.
  [[nodiscard]] bool needs_arena() const noexcept { return chunks_.size() > 1 || high_water_ > capacity(); }

  // Replaces the chunks by one arena of `floats`; false if the memory is not there.
  // Only while nothing is taken, and once the table of chunks has room for one.
  bool make_arena(std::size_t floats) noexcept {
    chunks_.clear();  // first, so the old and the new memory are never held together
    at_ = {};
    detail::scratch_block arena(floats);
    if (!arena) return false;
    chunks_.push_back(std::move(arena));  // within the table's capacity: cannot throw
    ++allocations_;
    return true;
  }

  // Moves to the chunk after the current one, or chains a new one, for `need` floats.
  // Chunks after the current one hold nothing taken, so a too-small one is replaced.
  void next_chunk(std::size_t need) {
    const std::size_t next = chunks_.empty() ? 0 : at_.chunk + 1;
    if (next >= chunks_.size() || chunks_[next].size() < need) {
      detail::scratch_block chunk(std::max({need, capacity(), detail::scratch_chunk_floats}));
      if (!chunk) chunk = detail::scratch_block(std::max(need, capacity()));  // address space is capped
      if (!chunk) throw std::bad_alloc();
      if (next < chunks_.size())
        chunks_[next] = std::move(chunk);
      else
        chunks_.push_back(std::move(chunk));
      ++allocations_;
    }
    at_.chunk = next;
    at_.offset = 0;
  }

  // Back to `mark`; once nothing is taken, the chunks become one arena of the high
  // water. Should the memory not be there, the next take() tries again and throws.
  void release(const position& mark) noexcept {
    at_ = mark;
    if (at_.used == 0 && needs_arena()) (void)make_arena(high_water_);
  }

  std::vector<detail::scratch_block> chunks_;
  std::vector<workspace> children_;
  position at_;
  std::size_t high_water_ = 0;
  std::size_t allocations_ = 0;
};

}  // namespace admn
