// admn-run — run an ADMN reference network (GTDM, AVE, MM-Fi) from safetensors files.
//
//   admn-run --model M.safetensors --input IN.safetensors --output OUT.safetensors
//            [--budget L | --plan SPEC] [--threads N] [--no-antialias]
//
// The network is chosen by the model's `admn.arch` metadata. IN holds one F32 tensor
// per modality, named as the modality (gtdm: zed_camera_left, realsense_camera_depth;
// ave: image, audio; mmfi: rgb, depth), of shape (B, instances, C, H, W). OUT gets
//   layer_mask         U8  (B, M, depth)   the blocks that ran
//   controller_logits  F32 (B, M·depth)    the controller's layer logits (not with --plan)
//   qoi                F32 (B, q)          the QoI head's output (not with --plan)
//   pred_mean, pred_cov (gtdm) or logits (ave, mmfi)
// --plan bypasses the controller: "all", or per-modality block lists "0,1,2,5;0,3".
// Errors print an [admn.…] message on stderr and exit 1.
#include <admn/io/safetensors.hpp>
#include <admn/io/writer.hpp>
#include <admn/kernels/parallel.hpp>
#include <admn/models/registry.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct arguments {
  std::string model, input, output;
  std::optional<std::size_t> budget;
  std::optional<std::string> plan;
  int threads = 0;
  bool antialias = true;
};

std::size_t parse_count(std::string_view flag, std::string_view text) {
  std::size_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    throw admn::argument_error("admn.cli.value", std::string(flag) + " needs a non-negative integer, got '" +
                                                     std::string(text) + "'");
  return value;
}

arguments parse(int argc, char** argv) {
  arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) throw admn::argument_error("admn.cli.missing_value", std::string(flag) + " needs a value");
      return argv[++i];
    };
    if (flag == "--model") a.model = value();
    else if (flag == "--input") a.input = value();
    else if (flag == "--output") a.output = value();
    else if (flag == "--budget") a.budget = parse_count(flag, value());
    else if (flag == "--plan") a.plan = std::string(value());
    else if (flag == "--threads") a.threads = static_cast<int>(parse_count(flag, value()));
    else if (flag == "--no-antialias") a.antialias = false;
    else throw admn::argument_error("admn.cli.unknown_flag", "unknown argument '" + std::string(flag) + "'");
  }
  for (const auto& [name, v] : {std::pair{"--model", &a.model}, {"--input", &a.input}, {"--output", &a.output}})
    if (v->empty()) throw admn::argument_error("admn.cli.missing_flag", std::string(name) + " is required");
  if (a.budget && a.plan) throw admn::argument_error("admn.cli.conflict", "give --budget or --plan, not both");
  if (!a.budget && !a.plan) throw admn::argument_error("admn.cli.budget", "give --budget L or --plan SPEC");
  if (a.threads > 1024) throw admn::argument_error("admn.cli.value", "--threads " + std::to_string(a.threads) + " is too many");
  return a;
}

int run(const arguments& args) {
  const auto model = std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(args.model));
  const auto inputs = std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(args.input));
  const admn::io::weight_source input_source(inputs);

  return admn::models::with_network(model, args.antialias, [&](const auto& net, const admn::io::weight_source&) {
    using net_type = std::decay_t<decltype(net)>;
    std::vector<admn::tensor> tensors;
    std::vector<admn::const_view> views;
    for (const std::string_view name : net_type::modality_names()) {
      if (!inputs->contains(name))
        throw admn::load_error("admn.run.missing_input", "input file '" + args.input + "' has no tensor '" +
                                                             std::string(name) + "'");
      tensors.push_back(input_source.load(name));
    }
    for (const auto& t : tensors) views.push_back(t.view());

    admn::model::run_options options;
    if (args.budget) options.budget = *args.budget;
    if (args.plan) {
      const auto depths = net.depths();
      options.plan = admn::adaptive::layer_plan::parse(*args.plan, depths);
    }
    const std::size_t batch = views.front().rank() > 0 ? views.front().extent(0) : 1;
    admn::workspace ws = net.make_workspace(batch);
    const auto start = std::chrono::steady_clock::now();
    const admn::model::network_result result =
        admn::kernels::with_threads(args.threads, [&] { return net.run(views, options, ws); });
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    // layer_mask as U8 (B, M, depth): all backbones of ADMN have the same depth.
    const auto depths = net.depths();
    const std::size_t depth = *std::max_element(depths.begin(), depths.end());
    std::vector<std::uint8_t> mask(batch * net_type::modality_count * depth, 0);
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t m = 0; m < net_type::modality_count; ++m)
        for (std::size_t l = 0; l < depths[m]; ++l)
          mask[(b * net_type::modality_count + m) * depth + l] = result.plans[b][m].kept(l) ? 1 : 0;
    std::vector<admn::io::tensor_entry> entries;
    entries.push_back({"layer_mask", admn::dtype::u8, {batch, net_type::modality_count, depth},
                       std::as_bytes(std::span<const std::uint8_t>(mask))});
    if (!args.plan) {
      entries.push_back(admn::io::entry("controller_logits", result.controller_logits));
      entries.push_back(admn::io::entry("qoi", result.qoi));
    }
    for (const auto& [name, t] : result.outputs) entries.push_back(admn::io::entry(name, t));
    admn::io::save(args.output, entries, {{"admn.arch", admn::models::arch_of(*model)}});

    std::fprintf(stderr, "admn-run: %s, batch %zu, %s, %.2f ms\n", admn::models::arch_of(*model).c_str(), batch,
                 args.plan ? ("plan " + *args.plan).c_str() : ("budget " + std::to_string(*args.budget)).c_str(), ms);
    for (std::size_t b = 0; b < batch; ++b)
      std::fprintf(stderr, "  sample %zu: plan %s\n", b, result.plans[b].to_string().c_str());
    return 0;
  });
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const admn::error& e) {
    std::fprintf(stderr, "admn-run: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "admn-run: [admn.internal] %s\n", e.what());
    return 1;
  }
}
