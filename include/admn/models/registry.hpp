// admn/models/registry.hpp — choose and load a reference network from a model file.
//
// A model file names its network in `__metadata__`:
//   admn.arch    "gtdm" | "ave" | "mmfi" | "digits" (the demo model)
//   admn.config  optional JSON object of overrides for reduced or retrained models:
//                {"vit_heads": 12, "image_size": [224, 224], "audio_size": [128, 1024] (ave, digits),
//                 "controller_heads": 4, "fusion_heads": 4}
// For the ADMN checkpoints themselves the spec fixes every hyper-parameter, so
// admn.arch alone is enough. Unknown config keys are rejected (typos must not
// pass silently).
#pragma once

#include <admn/error.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/models/ave.hpp>
#include <admn/models/digits.hpp>
#include <admn/models/gtdm.hpp>
#include <admn/models/mmfi.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>
#include <utility>

namespace admn::models {

struct model_overrides {
  std::size_t vit_heads = 12;
  std::array<std::size_t, 2> image_size{224, 224};
  std::array<std::size_t, 2> audio_size{128, 1024};
  std::size_t controller_heads = 4;
  std::size_t fusion_heads = 4;
};

// The `admn.arch` of a file; throws config_error [admn.config.arch] when absent.
[[nodiscard]] inline std::string arch_of(const io::safetensors_file& file) {
  const auto& meta = file.metadata();
  if (!meta || meta->find("admn.arch") == meta->end())
    throw config_error("admn.config.arch",
                       "the model file has no __metadata__ key 'admn.arch' (gtdm, ave, mmfi or digits)");
  return meta->at("admn.arch");
}

// Parses `admn.config`; throws config_error [admn.config.json] / [admn.config.key] / [admn.config.value].
[[nodiscard]] inline model_overrides overrides_of(const io::safetensors_file& file) {
  model_overrides out;
  const auto& meta = file.metadata();
  if (!meta) return out;
  const auto it = meta->find("admn.config");
  if (it == meta->end()) return out;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    throw config_error("admn.config.json", std::string("admn.config is not valid JSON: ") + e.what());
  }
  if (!json.is_object()) throw config_error("admn.config.json", "admn.config must be a JSON object");
  const auto count = [](const nlohmann::json& v, const std::string& key) {
    if (!v.is_number_unsigned() || v.get<std::size_t>() == 0 || v.get<std::size_t>() > 65536)
      throw config_error("admn.config.value",
                         "admn.config '" + key + "' must be a positive integer, got " + v.dump());
    return v.get<std::size_t>();
  };
  const auto pair = [&](const nlohmann::json& v, const std::string& key) {
    if (!v.is_array() || v.size() != 2)
      throw config_error("admn.config.value",
                         "admn.config '" + key + "' must be [height, width], got " + v.dump());
    return std::array<std::size_t, 2>{count(v[0], key), count(v[1], key)};
  };
  for (const auto& [key, value] : json.items()) {
    if (key == "vit_heads")
      out.vit_heads = count(value, key);
    else if (key == "image_size")
      out.image_size = pair(value, key);
    else if (key == "audio_size")
      out.audio_size = pair(value, key);
    else if (key == "controller_heads")
      out.controller_heads = count(value, key);
    else if (key == "fusion_heads")
      out.fusion_heads = count(value, key);
    else if (key != "description")
      throw config_error("admn.config.key", "unknown admn.config key '" + key + "'");
  }
  return out;
}

// Loads the file's network and calls fn(network, weights) with it (each arch is a
// different type). `precision` applies to the backbones' Linears (bf16: opt-in, see
// kernels/gemm_bf16.hpp). Throws config_error [admn.config.arch] for an unknown arch,
// [admn.config.precision] for bf16 in a build without AVX512-BF16.
template <class Fn>
decltype(auto) with_network(std::shared_ptr<const io::safetensors_file> file, bool antialias, Fn&& fn,
                            io::weight_options options = {},
                            kernels::precision precision = kernels::precision::fp32) {
  const std::string arch = arch_of(*file);
  const model_overrides o = overrides_of(*file);
  const io::weight_source weights(file, options);
  const auto finish = [&](model::network_config config, auto tag) -> decltype(auto) {
    using net = typename decltype(tag)::type;
    config.controller.heads = o.controller_heads;
    config.fusion.heads = o.fusion_heads;
    for (auto& m : config.modalities) m.precision = precision;
    const net n = model::load<net>(weights, std::move(config));
    return fn(n, weights);
  };
  if (arch == "gtdm")
    return finish(gtdm::config(antialias, o.image_size, o.vit_heads), std::type_identity<gtdm::network>{});
  if (arch == "ave")
    return finish(ave::config(antialias, o.image_size, o.audio_size, o.vit_heads),
                  std::type_identity<ave::network>{});
  if (arch == "mmfi")
    return finish(mmfi::config(antialias, o.image_size, o.vit_heads), std::type_identity<mmfi::network>{});
  if (arch == "digits") {
    const auto image =
        o.image_size == model_overrides{}.image_size ? std::array<std::size_t, 2>{32, 32} : o.image_size;
    const auto audio =
        o.audio_size == model_overrides{}.audio_size ? std::array<std::size_t, 2>{32, 64} : o.audio_size;
    return finish(digits::config(antialias, image, audio, o.vit_heads),
                  std::type_identity<digits::network>{});
  }
  throw config_error("admn.config.arch",
                     "unknown admn.arch '" + arch + "' (expected gtdm, ave, mmfi or digits)");
}

}  // namespace admn::models
