// admn/model/sample_groups.hpp — "group samples by plan, gather, run, scatter", once.
//
// Every batched run in the model tier (a network's backbones, a gated set of experts,
// a multi-task encoder) gives each sample a key (its blocks, its order, its expert)
// and runs the samples of one key as one batch: every kernel then runs only on the
// rows that need it, and results equal per-sample runs bit for bit (the kernels do
// not depend on the batch size).
//
//   for_each_group(batch, key_of, [&](const auto& group) {
//     workspace::scope scope(ws);
//     const const_view in = gather(group, inputs, per, ws);      // a slice when adjacent
//     const mutable_view out = group_rows(group, outputs, per, ws);
//     run(in, group.key(), out, ws);
//     scatter(group, out, outputs, per);                         // nothing when adjacent
//   });
//
// Nothing here allocates: groups are found by comparing keys, O(batch²) comparisons,
// nothing next to a backbone's cost; gathered copies come from the workspace.
#pragma once

#include <admn/tensor/tensor.hpp>
#include <admn/tensor/workspace.hpp>

#include <array>
#include <cstddef>
#include <cstring>
#include <span>

namespace admn::model {

// The samples of one key, in increasing order: first() is where the key first
// appears, last() where it last does. KeyOf(s) returns sample s's key (compared
// with ==); the group refers to it and lives only during for_each_group's call.
template <class KeyOf>
class sample_group {
 public:
  sample_group(const KeyOf& key_of, std::size_t first, std::size_t last, std::size_t size) noexcept
      : key_of_(key_of), first_(first), last_(last), size_(size) {}

  [[nodiscard]] std::size_t first() const noexcept { return first_; }
  [[nodiscard]] std::size_t last() const noexcept { return last_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // True when the members are first() … last() without a gap: their rows can be used in place.
  [[nodiscard]] bool adjacent() const noexcept { return last_ - first_ + 1 == size_; }
  // The group's key (the first member's).
  [[nodiscard]] decltype(auto) key() const { return key_of_(first_); }

  // fn(g, s) for each member s, g its position in the group (0, 1, …).
  template <class Fn>
  void for_each_member(Fn&& fn) const {
    if (adjacent()) {
      for (std::size_t g = 0; g < size_; ++g) fn(g, first_ + g);
      return;
    }
    const auto& key = key_of_(first_);
    for (std::size_t s = first_, g = 0; s <= last_; ++s)
      if (key_of_(s) == key) fn(g++, s);
  }

 private:
  const KeyOf& key_of_;
  std::size_t first_, last_, size_;
};

// Calls fn(const sample_group&) once per distinct key among samples 0 … batch−1, in
// the order the keys first appear.
template <class KeyOf, class Fn>
void for_each_group(std::size_t batch, const KeyOf& key_of, Fn&& fn) {
  for (std::size_t b = 0; b < batch; ++b) {
    const auto& key = key_of(b);
    // A key is grouped under its first occurrence; a later one was run with it.
    bool seen = false;
    for (std::size_t s = 0; s < b && !seen; ++s) seen = key_of(s) == key;
    if (seen) continue;
    std::size_t members = 0, last = b;
    for (std::size_t s = b; s < batch; ++s)
      if (key_of(s) == key) {
        ++members;
        last = s;
      }
    fn(sample_group<KeyOf>(key_of, b, last, members));
  }
}

namespace detail {

// `s` with its leading extent replaced by `rows`.
[[nodiscard]] inline shape with_rows(const shape& s, std::size_t rows) {
  std::array<std::size_t, max_rank> dims{};
  for (std::size_t i = 0; i < s.rank(); ++i) dims[i] = s[i];
  dims[0] = rows;
  return shape(std::span<const std::size_t>(dims.data(), s.rank()));
}

}  // namespace detail

// The group's samples of `all` (contiguous; `per` leading rows per sample): a slice of
// it when the group is adjacent, else a copy taken from `ws`. A
// mutable `all` gives mutable rows (a pass that works in place on its input).
template <class KeyOf, class T>
[[nodiscard]] tensor_view<T> gather(const sample_group<KeyOf>& group, tensor_view<T> all, std::size_t per,
                                    workspace& ws) {
  const std::size_t rows = group.size() * per;
  if (group.adjacent()) return all.slice(group.first() * per, group.first() * per + rows);
  const std::size_t floats = per * (all.size() / all.extent(0));
  const mutable_view out = ws.take(detail::with_rows(all.shape(), rows));
  group.for_each_member([&](std::size_t g, std::size_t s) {
    std::memcpy(out.data() + g * floats, all.data() + s * floats, floats * sizeof(float));
  });
  return out;
}

// Where the group's results go: the group's rows of `all` when adjacent (written in
// place), else a buffer from `ws` that scatter() copies back.
template <class KeyOf>
[[nodiscard]] mutable_view group_rows(const sample_group<KeyOf>& group, mutable_view all, std::size_t per,
                                      workspace& ws) {
  const std::size_t rows = group.size() * per;
  if (group.adjacent()) return all.slice(group.first() * per, group.first() * per + rows);
  return ws.take(detail::with_rows(all.shape(), rows));
}

// Copies the group's rows (`per` leading rows per sample, contiguous) to its samples'
// rows of `all`; nothing when the group is adjacent and `rows` already are them.
template <class KeyOf>
void scatter(const sample_group<KeyOf>& group, const_view rows, mutable_view all, std::size_t per) {
  if (group.adjacent() && rows.data() == all.data() + group.first() * per * (all.size() / all.extent(0)))
    return;
  const std::size_t floats = per * (all.size() / all.extent(0));
  group.for_each_member([&](std::size_t g, std::size_t s) {
    std::memcpy(all.data() + s * floats, rows.data() + g * floats, floats * sizeof(float));
  });
}

}  // namespace admn::model
