// admn/kernels/posenc.hpp — the fixed sinusoidal positional encoding of the controller and the
// fusion encoder (vit_dev.positionalencoding1d). docs/numerics.md §4.4, §10.5:
//
//   div[i]      = exp(float(2i) · float(−ln(10000) / d))       i < d/2
//   pe[p, 2i]   = sin(float(p) · div[i])
//   pe[p, 2i+1] = cos(float(p) · div[i])
//
// Every step is float32, in the order torch evaluates it: the Python scalar −ln(10000)/d is a
// double rounded to float when it multiplies the float arange; exp, the product and sin/cos are
// float32. torch uses SLEEF's vectorised expf/sinf/cosf (≤ 1 ulp), this uses the C library's
// float functions, so single elements may differ by an ulp or two; posenc_reference_test.cpp
// reports the residual against the golden file. A one-ulp difference in div[i] grows with the
// position p (it is multiplied by p before sin/cos): ~6e-8·p absolute, irrelevant for the ≤ 30
// tokens of ADMN.
#pragma once

#include <admn/error.hpp>

#include <cmath>
#include <cstddef>
#include <string>

namespace admn::kernels {

// Writes the (length, d_model) row-major encoding to `out`. Computed once per model (not in the
// hot path). Throws argument_error [admn.posenc.d_model] for an odd or zero d_model, which
// torch's pe[:, 1::2] assignment rejects too.
inline void sinusoidal_positional_encoding(float* out, std::size_t length, std::size_t d_model) {
  if (d_model == 0 || d_model % 2 != 0)
    throw argument_error("admn.posenc.d_model", "sinusoidal positional encoding needs an even d_model, got " +
                                                    std::to_string(d_model));
  const auto factor = static_cast<float>(-(std::log(10000.0) / static_cast<double>(d_model)));
  for (std::size_t i = 0; i < d_model / 2; ++i) {
    const float div = std::exp(static_cast<float>(2 * i) * factor);
    for (std::size_t p = 0; p < length; ++p) {
      const float angle = static_cast<float>(p) * div;
      out[p * d_model + 2 * i] = std::sin(angle);
      out[p * d_model + 2 * i + 1] = std::cos(angle);
    }
  }
}

}  // namespace admn::kernels
