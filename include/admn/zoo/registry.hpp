// admn/zoo/registry.hpp — choose and load a reference network from a model file.
//
// A model file names its network in `__metadata__`:
//   admn.arch    "gtdm" | "gtdm_blur" | "gtdm_lowlight" | "gtdm_3mod" | "ave" | "ave_unequal" |
//                "mmfi" | "digits" (the demo model)
//                (gtdm_blur, gtdm_lowlight: GTDM whose QoI head gives corruption-class logits,
//                docs/numerics.md §11.1, §11.2; gtdm_3mod: GTDM plus the mmWave `range_doppler`
//                modality, §11.3; a controller trained as ADMN-AE is a plain gtdm, §11.4;
//                ave_unequal: AVE with ADMN's unequal-cost controller, image blocks cost
//                3 and audio blocks 1, budgets in cost units — docs/numerics.md §4.10)
//   admn.config  optional JSON object of overrides for reduced or retrained models:
//                {"vit_heads": 12, "image_size": [224, 224], "audio_size": [128, 1024] (ave, digits),
//                 "range_doppler_size": [256, 16] (gtdm_3mod), "controller_heads": 4, "fusion_heads": 4}
// For the ADMN checkpoints themselves the spec fixes every hyper-parameter, so
// admn.arch alone is enough: their ViT-B/16 backbones (width 768) have 12 heads. A
// backbone of another width must name its head count ("vit_heads"), since no tensor
// holds it: loading it without one throws [admn.config.heads]. Unknown config keys
// are rejected (typos must not pass silently).
//   admn.budgets  a bundle (admn-export with several L=FILE.pt): a JSON list of the budgets
//                its controllers were trained for, ascending, e.g. "[6, 8]"; each controller's
//                tensors are under controller@L. (the backbones, fusion and head once).
#pragma once

#include <admn/error.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/model/config_reader.hpp>
#include <admn/zoo/ave.hpp>
#include <admn/zoo/digits.hpp>
#include <admn/zoo/gtdm.hpp>
#include <admn/zoo/gtdm_3mod.hpp>
#include <admn/zoo/mmfi.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace admn::zoo {

// admn.config's values; an absent size keeps the arch's default (<arch>::default_image_size, …).
struct model_overrides {
  std::optional<std::size_t> vit_heads{};
  std::optional<std::array<std::size_t, 2>> image_size{};
  std::optional<std::array<std::size_t, 2>> audio_size{};
  std::optional<std::array<std::size_t, 2>> range_doppler_size{};
  std::size_t controller_heads = 4;
  std::size_t fusion_heads = 4;
};

// Every admn.arch with_arch_config knows, for error messages.
inline constexpr std::string_view known_archs =
    "gtdm, gtdm_blur, gtdm_lowlight, gtdm_3mod, ave, ave_unequal, mmfi or digits";

// The `admn.arch` of a file; throws config_error [admn.config.arch] when absent.
[[nodiscard]] inline std::string arch_of(const io::safetensors_file& file) {
  const auto& meta = file.metadata();
  if (!meta || meta->find("admn.arch") == meta->end())
    throw config_error("admn.config.arch", "the model file has no __metadata__ key 'admn.arch' (" +
                                               std::string(known_archs) + ")");
  return meta->at("admn.arch");
}

// Parses `admn.config`; throws config_error [admn.config.json] / [admn.config.key] / [admn.config.value].
[[nodiscard]] inline model_overrides overrides_of(const io::safetensors_file& file) {
  model_overrides out;
  const auto& meta = file.metadata();
  if (!meta) return out;
  const auto it = meta->find("admn.config");
  if (it == meta->end()) return out;
  // The same strict reader as a network's own admn.config (model/config_reader.hpp): size,
  // nesting and repeated keys checked, every value named by its key.
  const nlohmann::json json = model::detail::parse_config_text(it->second);
  if (!json.is_object()) throw config_error("admn.config.json", "admn.config must be a JSON object");
  const model::detail::config_json_reader root("");
  for (const auto& [key, value] : json.items()) {
    const model::detail::config_json_reader at = root.at(key);
    if (key == "vit_heads")
      out.vit_heads = at.count(value);
    else if (key == "image_size")
      out.image_size = at.pair(value);
    else if (key == "audio_size")
      out.audio_size = at.pair(value);
    else if (key == "range_doppler_size")
      out.range_doppler_size = at.pair(value);
    else if (key == "controller_heads")
      out.controller_heads = at.count(value);
    else if (key == "fusion_heads")
      out.fusion_heads = at.count(value);
    else if (key != "description")
      at.unknown_key();
  }
  return out;
}

// The trained budgets of a bundle (metadata admn.budgets), or none. Throws config_error
// [admn.config.budgets] unless it is a JSON list of 1 to 64 increasing positive integers.
[[nodiscard]] inline std::vector<std::size_t> trained_budgets_of(const io::safetensors_file& file) {
  const auto& meta = file.metadata();
  if (!meta) return {};
  const auto it = meta->find("admn.budgets");
  if (it == meta->end()) return {};
  const auto bad = [&] {
    return config_error("admn.config.budgets",
                        "admn.budgets must be a JSON list of 1 to 64 increasing positive integers, got '" +
                            it->second.substr(0, 200) + "'");
  };
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception&) {
    throw bad();
  }
  if (!json.is_array() || json.empty() || json.size() > 64) throw bad();
  std::vector<std::size_t> out;
  for (const auto& v : json) {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0 || v.get<std::uint64_t>() > 1'000'000)
      throw bad();
    const auto budget = static_cast<std::size_t>(v.get<std::uint64_t>());
    if (!out.empty() && budget <= out.back()) throw bad();
    out.push_back(budget);
  }
  return out;
}

// Calls fn(config, std::type_identity<Net>{}) with the network type of the file's
// admn.arch and its config: the arch's reference hyper-parameters with admn.config's
// overrides applied. Throws config_error [admn.config.arch] for an unknown arch.
template <class Fn>
decltype(auto) with_arch_config(const io::safetensors_file& file, bool antialias, Fn&& fn) {
  const std::string arch = arch_of(file);
  const model_overrides o = overrides_of(file);
  const auto finish = [&](model::network_config config, auto tag) -> decltype(auto) {
    config.controller.heads = o.controller_heads;
    config.fusion.heads = o.fusion_heads;
    config.trained_budgets = trained_budgets_of(file);
    // ADMN's ViT-B/16 (width 768) has 12 heads; any other width must say (model loading
    // then names the modality).
    for (auto& m : config.modalities) {
      const io::tensor_info* proj = file.find(m.backbone_prefix + "patch_embed.proj.weight");
      if (!m.heads && proj && !proj->shape.empty() && proj->shape[0] == 768) m.heads = 12;
    }
    return fn(std::move(config), tag);
  };
  if (arch == "gtdm")
    return finish(gtdm::config(antialias, o.image_size.value_or(gtdm::default_image_size), o.vit_heads),
                  std::type_identity<gtdm::network>{});
  if (arch == "gtdm_blur" || arch == "gtdm_lowlight")
    return finish(gtdm::config(antialias, o.image_size.value_or(gtdm::default_image_size), o.vit_heads),
                  std::type_identity<gtdm::class_qoi_network>{});
  if (arch == "gtdm_3mod")
    return finish(
        gtdm_3mod::config(antialias, o.image_size.value_or(gtdm::default_image_size),
                          o.range_doppler_size.value_or(gtdm_3mod::default_range_doppler_size), o.vit_heads),
        std::type_identity<gtdm_3mod::network>{});
  if (arch == "ave" || arch == "ave_unequal") {
    model::network_config config = ave::config(antialias, o.image_size.value_or(ave::default_image_size),
                                               o.audio_size.value_or(ave::default_audio_size), o.vit_heads);
    if (arch == "ave_unequal") config.costs = {3, 1};
    return finish(std::move(config), std::type_identity<ave::network>{});
  }
  if (arch == "mmfi")
    return finish(mmfi::config(antialias, o.image_size.value_or(mmfi::default_image_size), o.vit_heads),
                  std::type_identity<mmfi::network>{});
  if (arch == "digits")
    return finish(digits::config(antialias, o.image_size.value_or(digits::default_image_size),
                                 o.audio_size.value_or(digits::default_audio_size), o.vit_heads),
                  std::type_identity<digits::network>{});
  throw config_error("admn.config.arch",
                     "unknown admn.arch '" + arch + "' (expected " + std::string(known_archs) + ")");
}

// The config of a file holding network type Net (e.g. gtdm::network), as
// with_arch_config makes it. Throws config_error [admn.config.arch] when the file's
// admn.arch is another network (or unknown).
template <class Net>
[[nodiscard]] model::network_config config_of(const io::safetensors_file& file, bool antialias = true) {
  std::optional<model::network_config> out;
  with_arch_config(file, antialias, [&](model::network_config config, auto tag) {
    if constexpr (std::is_same_v<typename decltype(tag)::type, Net>) out = std::move(config);
    return 0;
  });
  if (!out)
    throw config_error("admn.config.arch",
                       "the model file's admn.arch '" + arch_of(file) + "' is not the network asked for");
  return std::move(*out);
}

// Loads the file's network and calls fn(network, weights) with it (each arch is a
// different type). `precision` applies to the backbones' Linears (bf16, int8: opt-in,
// see kernels/precision.hpp). Throws config_error [admn.config.arch] for an unknown arch,
// [admn.config.precision] for bf16 in a build without AVX512-BF16.
template <class Fn>
decltype(auto) with_network(std::shared_ptr<const io::safetensors_file> file, bool antialias, Fn&& fn,
                            io::weight_options options = {},
                            kernels::precision precision = kernels::precision::fp32) {
  const io::weight_source weights(file, options);
  return with_arch_config(*file, antialias, [&](model::network_config config, auto tag) -> decltype(auto) {
    using net = typename decltype(tag)::type;
    for (auto& m : config.modalities) m.precision = precision;
    const net n = model::load<net>(weights, std::move(config));
    return fn(n, weights);
  });
}

}  // namespace admn::zoo
