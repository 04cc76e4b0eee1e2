// admn/layers/position_embedding.hpp — the token-sequence helpers: CLS token and
// position embeddings added to every sequence of a batch.
//
// class_token                      a learned (1, dim) / (1, 1, dim) vector written as token 0
// learned_position_embedding       a learned (1, tokens, dim) table, added unchanged (ViT
//                                  `pos_embed`, docs/numerics.md §2.2; no interpolation)
// sinusoidal_position_embedding    positionalencoding1d(dim, tokens) of docs/numerics.md §4.4,
//                                  built once at load time, added without scaling
#pragma once

#include <admn/error.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/posenc.hpp>
#include <admn/kernels/reduce.hpp>
#include <admn/tensor/tensor.hpp>

#include <cstring>
#include <optional>
#include <string>

namespace admn::layers {

namespace detail {

// x (batch·tokens × dim, contiguous rows) += table (tokens × dim) for each sequence.
inline void add_per_sequence(const tensor& table, mutable_view x, std::size_t batch) {
  const std::size_t count = table.size();
  ADMN_ASSERT(x.extent(0) * x.extent(1) == batch * count);
  const auto add = kernels::active().add;
  for (std::size_t b = 0; b < batch; ++b) add(table.data(), x.data() + b * count, count);
}

}  // namespace detail

class class_token {
 public:
  explicit class_token(tensor value) : value_(std::move(value)) {
    if (value_.shape().rank() == 0 || value_.size() == 0)
      throw shape_error("admn.class_token.shape",
                        "a class token needs a non-empty last dimension, got " + value_.shape().to_string());
  }
  // Binds `key` of shape (1, dim) or (1, 1, dim); an unset dim is taken from the weight.
  static class_token load(const io::weight_source& w, const std::string& key,
                          std::optional<std::size_t> dim = std::nullopt) {
    const auto stored = w.shape_of(key);
    const std::size_t d = dim.value_or(stored.empty() ? 0 : stored.back());
    if (stored.size() == 3) return class_token(w.load(key, shape{1, 1, d}));
    return class_token(w.load(key, shape{1, d}));
  }
  [[nodiscard]] std::size_t dim() const noexcept { return value_.size(); }
  [[nodiscard]] const float* data() const noexcept { return value_.data(); }
  // Writes the token into each of `rows` rows of x (row stride = x's stride).
  void write(mutable_view rows) const {
    for (std::size_t r = 0; r < rows.extent(0); ++r)
      std::memcpy(rows.data() + r * static_cast<std::size_t>(rows.stride(0)), value_.data(),
                  dim() * sizeof(float));
  }

 private:
  tensor value_;
};

class learned_position_embedding {
 public:
  // table (tokens, dim), both ≥ 1 — a (1, tokens, dim) parameter is reshaped.
  explicit learned_position_embedding(tensor table) : table_(std::move(table)) {
    if (table_.shape().rank() != 2 || table_.size() == 0)
      throw shape_error("admn.position_embedding.shape",
                        "table must be a non-empty (tokens, dim), got " + table_.shape().to_string());
  }
  // Binds `key` of shape (1, tokens, dim); an unset dim is taken from the weight.
  static learned_position_embedding load(const io::weight_source& w, const std::string& key,
                                         std::optional<std::size_t> dim = std::nullopt) {
    const auto stored = w.shape_of(key);
    if (stored.size() != 3 || stored[0] != 1)
      throw load_error("admn.load.shape", "tensor '" + w.prefix() + key +
                                              "': expected (1, tokens, dim), got rank " +
                                              std::to_string(stored.size()));
    tensor raw = w.load(key, shape{1, stored[1], dim.value_or(stored[2])});
    tensor table(shape{stored[1], raw.shape()[2]});
    std::memcpy(table.data(), raw.data(), raw.size() * sizeof(float));
    return learned_position_embedding(std::move(table));
  }
  [[nodiscard]] std::size_t tokens() const noexcept { return table_.shape()[0]; }
  [[nodiscard]] std::size_t dim() const noexcept { return table_.shape()[1]; }
  [[nodiscard]] const tensor& table() const noexcept { return table_; }
  // x: (batch·tokens) × dim, contiguous.
  void add_to(mutable_view x, std::size_t batch) const { detail::add_per_sequence(table_, x, batch); }

 private:
  tensor table_;
};

class sinusoidal_position_embedding {
 public:
  sinusoidal_position_embedding(std::size_t tokens, std::size_t dim) : table_(shape{tokens, dim}) {
    if (dim % 2 != 0)
      throw config_error("admn.position_embedding.dim",
                         "sinusoidal encoding needs an even width, got " + std::to_string(dim));
    kernels::sinusoidal_positional_encoding(table_.data(), tokens, dim);
  }
  [[nodiscard]] std::size_t tokens() const noexcept { return table_.shape()[0]; }
  [[nodiscard]] std::size_t dim() const noexcept { return table_.shape()[1]; }
  [[nodiscard]] const tensor& table() const noexcept { return table_; }
  void add_to(mutable_view x, std::size_t batch) const { detail::add_per_sequence(table_, x, batch); }

 private:
  tensor table_;
};

}  // namespace admn::layers
