// admn/kernels/attention.hpp — scaled dot-product attention of one head of one sequence.
//
//   O_h = softmax(scale · Q_h K_hᵀ) V_h        (no mask; docs/numerics.md §2.3 and §4.5)
// Q, K, V come from one fused qkv row per token: q in columns [0, inner), k in
// [inner, 2·inner), v in [2·inner, 3·inner), head h at offset h·head_dim inside
// each — the layout of both timm's `qkv.reshape(B,N,3,H,dh)` and vit_dev's
// `chunk(3)` + 'b n (h d)'. O_h lands in columns [h·dh, (h+1)·dh) of `out`.
// `scale_at` picks where the scale is applied: on the scores (vit_dev, fused SDPA)
// or on the queries first (older timm); identical when scale is a power of two.
#pragma once

#include <admn/kernels/gemm.hpp>
#include <admn/kernels/simd.hpp>
#include <admn/kernels/softmax.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace admn::kernels {

enum class scale_at : std::uint8_t { scores, queries };

struct attention_shape {
  std::size_t tokens;
  std::size_t heads;
  std::size_t head_dim;
  std::size_t ld_qkv;  // row stride of qkv, ≥ 3·heads·head_dim
  std::size_t ld_out;  // row stride of out, ≥ heads·head_dim
  float scale;         // usually head_dim^-0.5
  kernels::scale_at scale_at = scale_at::scores;

  [[nodiscard]] constexpr std::size_t inner() const noexcept { return heads * head_dim; }
};

// Scratch floats one head needs (64-byte aligned): the tokens×tokens scores, K and V
// packed into GEMM panels, and the scaled queries when scale_at is queries.
template <class Arch = default_arch>
[[nodiscard]] constexpr std::size_t attention_scratch_floats(const attention_shape& s) noexcept {
  using panels = packed_panels<Arch>;
  const auto aligned = [](std::size_t f) { return (f + 15) / 16 * 16; };
  return aligned(s.tokens * s.tokens) + aligned(panels::floats(s.tokens, s.head_dim)) +
         aligned(panels::floats(s.head_dim, s.tokens)) +
         (s.scale_at == scale_at::queries ? aligned(s.tokens * s.head_dim) : 0);
}

// One head on the calling thread: S = Q·Kᵀ and O = P·V through the packed GEMM
// micro-kernel (K and V packed into scratch once per head, both products then run
// out of L1/L2), the scale folded into the softmax. `scratch` is 64-byte aligned.
template <class Arch>
void attention_head(Arch arch, const attention_shape& s, const float* qkv, std::size_t head, float* out,
                    float* scratch) noexcept {
  using panels = packed_panels<Arch>;
  const auto aligned = [](std::size_t f) { return (f + 15) / 16 * 16; };
  const std::size_t n = s.tokens, d = s.head_dim, offset = head * d;
  float* scores = scratch;
  float* k_panels = scores + aligned(n * n);
  float* v_panels = k_panels + aligned(panels::floats(n, d));
  const float* q = qkv + offset;
  std::size_t ld_q = s.ld_qkv;
  float softmax_scale = s.scale;
  if (s.scale_at == scale_at::queries) {
    float* scaled = v_panels + aligned(panels::floats(d, n));
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t i = 0; i < d; ++i) scaled[t * d + i] = q[t * s.ld_qkv + i] * s.scale;
    q = scaled;
    ld_q = d;
    softmax_scale = 1.0f;
  }
  pack_rows<Arch>(qkv + s.inner() + offset, n, d, s.ld_qkv, k_panels);         // W[j][p] = K[j][p]
  pack_columns<Arch>(qkv + 2 * s.inner() + offset, d, n, s.ld_qkv, v_panels);  // W[j][p] = V[p][j]
  gemm_serial(arch, n, q, ld_q, panels{k_panels, n, d}, scores, n, {});
  softmax(arch, scores, n, n, n, softmax_scale);
  gemm_serial(arch, n, scores, n, panels{v_panels, d, n}, out + offset, s.ld_out, {});
}

namespace reference {

inline void attention_head(const attention_shape& s, const float* qkv, std::size_t head, float* out) {
  const std::size_t n = s.tokens;
  const std::size_t offset = head * s.head_dim;
  std::vector<double> p(n);
  for (std::size_t i = 0; i < n; ++i) {
    double m = -1e300;
    for (std::size_t j = 0; j < n; ++j) {
      double dot = 0.0;
      for (std::size_t d = 0; d < s.head_dim; ++d)
        dot += double(qkv[i * s.ld_qkv + offset + d]) * qkv[j * s.ld_qkv + s.inner() + offset + d];
      p[j] = dot * s.scale;
      m = p[j] > m ? p[j] : m;
    }
    double sum = 0.0;
    for (std::size_t j = 0; j < n; ++j) sum += (p[j] = std::exp(p[j] - m));
    for (std::size_t d = 0; d < s.head_dim; ++d) {
      double acc = 0.0;
      for (std::size_t j = 0; j < n; ++j) acc += p[j] / sum * qkv[j * s.ld_qkv + 2 * s.inner() + offset + d];
      out[i * s.ld_out + offset + d] = static_cast<float>(acc);
    }
  }
}

}  // namespace reference
}  // namespace admn::kernels
