// Runs every entry of the kernel table on fixed inputs, then the reduced GTDM
// (tests/fixtures/networks/gtdm_small.safetensors) under fp32, int8 and (where the kernels run
// it) bf16, and writes every output's bytes.
// tests/isa/CMakeLists.txt builds it natively for each instruction-set level (that level's
// flags, no dispatch) and once with admn_add_kernels (no flags, ADMN_ISA picks the level):
// the files must be identical byte for byte.
//
// usage: admn_isa_bitexact OUT.bin
#include <admn/admn.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

void write(std::ofstream& out, const std::string& what, const admn::tensor& t) {
  const auto size = static_cast<std::uint64_t>(t.size());
  out << what << '\n';
  out.write(reinterpret_cast<const char*>(&size), sizeof size);
  out.write(reinterpret_cast<const char*>(t.data()), static_cast<std::streamsize>(size * sizeof(float)));
}

std::vector<float> values(std::size_t n, std::uint32_t seed) {
  std::vector<float> v(n);
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) * 0x1p-24f * 4.0f - 2.0f;
  }
  return v;
}

void write(std::ofstream& out, const std::string& what, const std::vector<float>& v) {
  admn::tensor t(admn::shape{v.size()});
  std::copy(v.begin(), v.end(), t.data());
  write(out, what, t);
}

// Every entry of the kernel table on fixed inputs: the kernels alone, no network code around them.
void kernel_outputs(std::ofstream& out) {
  namespace k = admn::kernels;
  const k::kernel_table& t = k::active();
  {
    const std::size_t m = 13, n = 45, kk = 37;
    const auto a = values(m * kk, 1), w = values(n * kk, 2), bias = values(n, 3);
    const k::gemm_epilogue e{bias.data(), k::activation_fn{k::activation::gelu_erf}, false};
    std::vector<float> c(m * n);
    t.gemm(m, a.data(), kk, k::packed_weights(t.gemm_panel, w.data(), n, kk, kk), c.data(), n, e);
    write(out, "gemm", c);
    t.gemm_int8(m, a.data(), kk, k::packed_weights_int8(w.data(), n, kk, kk), c.data(), n, e);
    write(out, "gemm_int8", c);
    if (t.bf16) {
      t.gemm_bf16(m, a.data(), kk, k::packed_weights_bf16(w.data(), n, kk, kk), c.data(), n, e);
      write(out, "gemm_bf16", c);
    }
  }
  {
    const k::attention_shape s{
        .tokens = 17, .heads = 2, .head_dim = 8, .ld_qkv = 48, .ld_out = 16, .scale = 0.35f};
    const auto qkv = values(17 * 48, 4);
    admn::tensor scratch(admn::shape{t.attention_scratch_floats(s)});
    std::vector<float> o(17 * 16);
    for (std::size_t h = 0; h < 2; ++h) t.attention_head(s, qkv.data(), h, o.data(), scratch.data());
    write(out, "attention_head", o);
  }
  const std::size_t rows = 6, dim = 53;
  const auto x = values(rows * dim, 5), gamma = values(dim, 6), beta = values(dim, 7);
  std::vector<float> y(rows * dim);
  t.layer_norm({rows, dim, dim, dim}, x.data(), gamma.data(), beta.data(), 1e-5f, y.data());
  write(out, "layer_norm", y);
  y = x;
  t.softmax(y.data(), rows, dim, dim, 0.7f);
  write(out, "softmax", y);
  for (const auto f : {k::activation::gelu_erf, k::activation::gelu_tanh, k::activation::leaky_relu}) {
    y = x;
    t.activate(k::activation_fn{f}, y.data(), y.size());
    write(out, "activate", y);
  }
  y = x;
  t.prelu_channels(y.data(), rows, dim, dim, gamma.data());
  write(out, "prelu_channels", y);
  {
    const k::fbank_plan plan(k::fbank_options{.mel_bins = 32});
    const auto wave = values(3 * plan.frame_length(), 11);
    const std::size_t frames = plan.frames(wave.size());
    std::vector<float> mel(frames * plan.mel_bins()), scratch(plan.scratch_size());
    t.fbank(plan, wave.data(), 0, frames, mel.data(), scratch.data());
    write(out, "fbank", mel);
  }
  y = x;
  t.add(gamma.data(), y.data(), dim);
  write(out, "add", y);
  t.batch_norm(x.data(), rows, dim, gamma.data(), beta.data(), y.data(), true);
  write(out, "batch_norm", y);
  {
    const auto image = values(3 * 24 * 27, 8);
    for (const auto algorithm : {k::conv2d_algorithm::direct, k::conv2d_algorithm::im2col}) {
      const k::conv2d_shape s{.in_channels = 3,
                              .in_h = 24,
                              .in_w = 27,
                              .out_channels = 5,
                              .kernel_h = 3,
                              .kernel_w = 3,
                              .stride_h = 1,
                              .stride_w = 1,
                              .pad_h = 1,
                              .pad_w = 1};
      const auto w = values(s.weight_size(), 9), b = values(5, 10);
      std::vector<float> o(s.output_size()),
          scratch(std::max<std::size_t>(1, k::conv2d_scratch_size(s, algorithm)));
      t.conv2d(s, image.data(), w.data(), b.data(), o.data(), scratch.data(),
               {k::conv2d_epilogue::relu, algorithm});
      write(out, "conv2d", o);
    }
    const k::pool2d_shape p{.channels = 3, .in_h = 24, .in_w = 27, .kernel_h = 3, .kernel_w = 3};
    std::vector<float> o(p.output_size()), scratch(k::max_pool2d_scratch_size(p));
    t.max_pool2d(p, image.data(), o.data(), scratch.data());
    write(out, "max_pool2d", o);
    for (const bool antialias : {true, false}) {
      const k::resize_plan plan(24, 27, 31, 13, antialias);
      std::vector<float> r(3 * 31 * 13), scratch(std::max<std::size_t>(1, plan.scratch_size(3)));
      t.resize(plan, image.data(), 3, r.data(), scratch.data());
      write(out, "resize", r);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.bin\n", argv[0]);
    return 2;
  }
  try {
    using gtdm = admn::zoo::gtdm::network;
    const auto file = std::make_shared<const admn::io::safetensors_file>(
        admn::io::safetensors_file::open(ADMN_TEST_FIXTURES "/networks/gtdm_small.safetensors"));
    const admn::io::weight_source weights(file);
    std::ofstream out(argv[1], std::ios::binary);
    kernel_outputs(out);
    const admn::kernels::precision precisions[] = {
        admn::kernels::precision::fp32, admn::kernels::precision::int8, admn::kernels::precision::bf16};
    for (const auto precision : precisions) {
      if (precision == admn::kernels::precision::bf16 && !admn::kernels::active().bf16) continue;
      auto config = admn::zoo::config_of<gtdm>(*file);
      for (auto& m : config.modalities) m.precision = precision;
      const gtdm net = admn::model::load<gtdm>(weights, config);
      const auto [h, w] = config.modalities[0].image;
      admn::tensor rgb(admn::shape{2, 3, 3, h, w}), depth(admn::shape{2, 3, 3, h, w});
      std::uint32_t state = 12345;
      for (admn::tensor* t : {&rgb, &depth})
        for (std::size_t i = 0; i < t->size(); ++i) {
          state = state * 1664525u + 1013904223u;
          t->data()[i] = static_cast<float>(state >> 8) * 0x1p-24f * 2.0f - 1.0f;
        }
      const admn::const_view inputs[] = {rgb.view(), depth.view()};
      admn::workspace ws;
      for (const std::size_t budget : {3u, 8u}) {
        const auto result = net.run(inputs, {.budget = budget}, ws);
        const std::string run =
            std::string(admn::kernels::to_string(precision)) + " budget " + std::to_string(budget);
        for (const auto& plan : result.plans) out << run << " plan " << plan.to_string() << '\n';
        for (const auto& [name, value] : result.outputs) write(out, run + " " + name, value);
      }
    }
    if (!out) throw std::runtime_error(std::string("cannot write ") + argv[1]);
    std::printf("%s: wrote %s\n", admn::kernels::describe_kernels().c_str(), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
