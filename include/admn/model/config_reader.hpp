// admn/model/config_reader.hpp — a network_config from a model file's `admn.config` JSON.
//
// A network type of your own (model::network<…>) needs what its weights cannot tell: head
// counts, image sizes, key prefixes, backbone options. A model file carries them in
// `__metadata__` as `admn.config`, a JSON object read strictly by parse_network_config:
//
//   {
//     "description": "anything",                       ignored
//     "every_modality": { MODALITY },                   applied to every modality first
//     "modalities": { "<modality name>": { MODALITY }, … },   then each named one
//     "controller": { "prefix": "controller.", "heads": 4, "antialias": true,
//                     "qoi_scale": 5.0, "eps": 1e-5 },
//     "fusion": { "heads": 4, "eps": 1e-5, "adapter_activation": ACTIVATION,
//                 "adapter_keys": { "fc1": "fc1.", "fc2": "fc2.", "act": "" } },
//     "head_prefix": "output_head.",
//     "costs": [3, 1],                                  one block cost per modality (top-L's
//                                                       unequal-cost rule, docs/numerics.md §4.10)
//     "static_plan": "first:4"                          the static_plans policy's plan
//   }
//   MODALITY = { "backbone_prefix": "<name>.", "adapter_prefix": "<name>_adapter.",
//                "heads": 12, "instances": 1, "image_size": [224, 224], "eps": 1e-5,
//                "activation": ACTIVATION, "precision": "fp32" | "bf16" | "int8",
//                "collapse_linear_mlps": 0.05, "layer_position_key": "",
//                "encoder": { "resize": [100, 100], "pool": [3, 3], "instances": 0 } }
//   ACTIVATION = "none" | "relu" | "leaky_relu" | "gelu_erf" | "gelu_tanh" | "prelu"
//                | { "kind": "leaky_relu", "slope": 0.2 }
//
// Every key is optional; an absent one keeps network_config's default (the fields of
// model/network.hpp say what each means). The backbones' `heads` has no default: the network
// refuses to load without it ([admn.config.heads]). Trained budgets are not here: a bundle
// lists them in its own metadata key `admn.budgets`.
//
// Strict, as hostile input: an unknown or repeated key throws config_error [admn.config.key]
// naming its path ("modalities.rgb.head"), so does a modality name the network does not have;
// a value of the wrong type or out of range throws [admn.config.value] naming the path and the
// value; text that is not a JSON object, longer than 1 MiB or nested deeper than 8 levels
// throws [admn.config.json]. Bounds: counts (heads, instances, image and encoder sizes) in
// [1, 65536] (encoder instances may be 0: all); costs in [1, 10^6], exactly one per modality;
// eps in (0, 1]; qoi_scale in (0, 10^6]; collapse_linear_mlps in [0, 10^3]; activation slopes
// finite, |slope| ≤ 10^6; key prefixes at most 1024 characters, static_plan at most 65536.
#pragma once

#include <admn/error.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/kernels/activation.hpp>
#include <admn/kernels/precision.hpp>
#include <admn/model/network.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace admn::model {

namespace detail {

// Reads one JSON object of admn.config, key by key, naming each value by its path.
class config_json_reader {
 public:
  static constexpr std::size_t max_count = 65536;
  static constexpr std::size_t max_cost = 1'000'000;
  static constexpr std::size_t max_prefix = 1024;
  static constexpr std::size_t max_plan = 65536;

  explicit config_json_reader(std::string path) : path_(std::move(path)) {}

  // The value under `key` of this object, named "<path>.<key>".
  [[nodiscard]] config_json_reader at(std::string_view key) const {
    return config_json_reader(path_.empty() ? std::string(key) : path_ + "." + std::string(key));
  }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  [[noreturn]] void unknown_key() const {
    throw config_error("admn.config.key", "unknown admn.config key '" + path_ + "'");
  }
  [[noreturn]] void bad(const nlohmann::json& v, std::string_view expected) const {
    std::string shown = v.dump();
    if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
    throw config_error("admn.config.value",
                       "admn.config '" + path_ + "' must be " + std::string(expected) + ", got " + shown);
  }

  void require_object(const nlohmann::json& v) const {
    if (!v.is_object()) bad(v, "a JSON object");
  }

  // An integer in [min, max].
  [[nodiscard]] std::size_t count(const nlohmann::json& v, std::size_t min = 1,
                                  std::size_t max = max_count) const {
    const std::string range = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    if (!v.is_number_unsigned()) bad(v, range);
    const auto n = v.get<std::uint64_t>();
    if (n < min || n > max) bad(v, range);
    return static_cast<std::size_t>(n);
  }
  // [height, width], each a count.
  [[nodiscard]] std::array<std::size_t, 2> pair(const nlohmann::json& v) const {
    if (!v.is_array() || v.size() != 2) bad(v, "[height, width]");
    return {count(v[0]), count(v[1])};
  }
  // A finite number in (0, max] (`include_zero`: [0, max]).
  [[nodiscard]] float positive(const nlohmann::json& v, double max, bool include_zero = false) const {
    const std::string range = std::string(include_zero ? "[0, " : "(0, ") + number(max) + "]";
    if (!v.is_number()) bad(v, "a number in " + range);
    const double x = v.get<double>();
    if (!std::isfinite(x) || x > max || x < 0.0 || (x == 0.0 && !include_zero))
      bad(v, "a number in " + range);
    return static_cast<float>(x);
  }
  [[nodiscard]] std::string text(const nlohmann::json& v, std::size_t max_length = max_prefix) const {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > max_length)
      bad(v, "a string of at most " + std::to_string(max_length) + " characters");
    return v.get<std::string>();
  }
  [[nodiscard]] bool boolean(const nlohmann::json& v) const {
    if (!v.is_boolean()) bad(v, "true or false");
    return v.get<bool>();
  }
  [[nodiscard]] kernels::precision precision(const nlohmann::json& v) const {
    if (v.is_string())
      for (const kernels::precision p :
           {kernels::precision::fp32, kernels::precision::bf16, kernels::precision::int8})
        if (v.get_ref<const std::string&>() == kernels::to_string(p)) return p;
    bad(v, "\"fp32\", \"bf16\" or \"int8\"");
  }
  // A name, or {"kind": name, "slope": s}; a name alone keeps activation_fn's default slope.
  [[nodiscard]] kernels::activation_fn activation(const nlohmann::json& v) const {
    static constexpr std::array<std::pair<std::string_view, kernels::activation>, 6> names{
        {{"none", kernels::activation::none},
         {"relu", kernels::activation::relu},
         {"leaky_relu", kernels::activation::leaky_relu},
         {"gelu_erf", kernels::activation::gelu_erf},
         {"gelu_tanh", kernels::activation::gelu_tanh},
         {"prelu", kernels::activation::prelu}}};
    const auto kind = [&](const config_json_reader& at, const nlohmann::json& name) {
      if (name.is_string())
        for (const auto& [text, a] : names)
          if (name.get_ref<const std::string&>() == text) return a;
      at.bad(name, "one of \"none\", \"relu\", \"leaky_relu\", \"gelu_erf\", \"gelu_tanh\", \"prelu\"");
    };
    kernels::activation_fn out;
    if (!v.is_object()) {
      out.kind = kind(*this, v);
      return out;
    }
    bool has_kind = false;
    for (const auto& [key, value] : v.items()) {
      if (key == "kind") {
        out.kind = kind(at(key), value);
        has_kind = true;
      } else if (key == "slope") {
        if (!value.is_number() || !std::isfinite(value.get<double>()) || std::abs(value.get<double>()) > 1e6)
          at(key).bad(value, "a finite number in [-1000000, 1000000]");
        out.slope = value.get<float>();
      } else {
        at(key).unknown_key();
      }
    }
    if (!has_kind) bad(v, "an activation name or an object with \"kind\"");
    return out;
  }

 private:
  static std::string number(double x) {
    std::string s = nlohmann::json(x).dump();
    return s.ends_with(".0") ? s.substr(0, s.size() - 2) : s;
  }

  std::string path_;
};

inline void read_encoder(const config_json_reader& r, const nlohmann::json& v,
                         controller_encoder_config& out) {
  r.require_object(v);
  for (const auto& [key, value] : v.items()) {
    const config_json_reader at = r.at(key);
    if (key == "resize")
      out.resize = at.pair(value);
    else if (key == "pool")
      out.pool = at.pair(value);
    else if (key == "instances")
      out.instances = at.count(value, 0);
    else
      at.unknown_key();
  }
}

inline void read_modality(const config_json_reader& r, const nlohmann::json& v, modality_config& out) {
  r.require_object(v);
  for (const auto& [key, value] : v.items()) {
    const config_json_reader at = r.at(key);
    if (key == "backbone_prefix")
      out.backbone_prefix = at.text(value);
    else if (key == "adapter_prefix")
      out.adapter_prefix = at.text(value);
    else if (key == "heads")
      out.heads = at.count(value);
    else if (key == "instances")
      out.instances = at.count(value);
    else if (key == "image_size")
      out.image = at.pair(value);
    else if (key == "eps")
      out.eps = at.positive(value, 1.0);
    else if (key == "activation")
      out.mlp_activation = at.activation(value);
    else if (key == "precision")
      out.precision = at.precision(value);
    else if (key == "collapse_linear_mlps")
      out.collapse_linear_mlps = at.positive(value, 1e3, true);
    else if (key == "layer_position_key")
      out.layer_position_key = at.text(value);
    else if (key == "encoder")
      read_encoder(at, value, out.encoder);
    else
      at.unknown_key();
  }
}

inline void read_controller(const config_json_reader& r, const nlohmann::json& v, controller_config& out) {
  r.require_object(v);
  for (const auto& [key, value] : v.items()) {
    const config_json_reader at = r.at(key);
    if (key == "prefix")
      out.prefix = at.text(value);
    else if (key == "heads")
      out.heads = at.count(value);
    else if (key == "antialias")
      out.antialias = at.boolean(value);
    else if (key == "qoi_scale")
      out.qoi_scale = at.positive(value, 1e6);
    else if (key == "eps")
      out.eps = at.positive(value, 1.0);
    else
      at.unknown_key();
  }
}

inline void read_fusion(const config_json_reader& r, const nlohmann::json& v, fusion_config& out) {
  r.require_object(v);
  for (const auto& [key, value] : v.items()) {
    const config_json_reader at = r.at(key);
    if (key == "heads") {
      out.heads = at.count(value);
    } else if (key == "eps") {
      out.eps = at.positive(value, 1.0);
    } else if (key == "adapter_activation") {
      out.adapter_activation = at.activation(value);
    } else if (key == "adapter_keys") {
      at.require_object(value);
      for (const auto& [name, text] : value.items()) {
        if (name == "fc1")
          out.adapter_keys.fc1 = at.at(name).text(text);
        else if (name == "fc2")
          out.adapter_keys.fc2 = at.at(name).text(text);
        else if (name == "act")
          out.adapter_keys.act = at.at(name).text(text);
        else
          at.at(name).unknown_key();
      }
    } else {
      at.unknown_key();
    }
  }
}

// Parses `text`, rejecting repeated keys (nlohmann would keep the last) and deep nesting.
inline nlohmann::json parse_config_text(std::string_view text) {
  constexpr std::size_t max_bytes = std::size_t{1} << 20;
  constexpr int max_depth = 8;
  if (text.size() > max_bytes)
    throw config_error("admn.config.json", "admn.config is " + std::to_string(text.size()) +
                                               " bytes; at most " + std::to_string(max_bytes) + " are read");
  struct open_object {
    std::set<std::string> keys;
    std::string last_key;  // names the object or array that the key's value opens
  };
  std::vector<open_object> open;
  nlohmann::json::parser_callback_t check = [&](int depth, nlohmann::json::parse_event_t event,
                                                nlohmann::json& parsed) {
    using event_t = nlohmann::json::parse_event_t;
    if (depth > max_depth)
      throw config_error("admn.config.json",
                         "admn.config is nested deeper than " + std::to_string(max_depth) + " levels");
    if (event == event_t::object_start) {
      open.emplace_back();
    } else if (event == event_t::object_end) {
      open.pop_back();
    } else if (event == event_t::key) {
      std::string key = parsed.get<std::string>();
      if (!open.back().keys.insert(key).second) {
        std::string path;
        for (std::size_t i = 0; i + 1 < open.size(); ++i) path += open[i].last_key + ".";
        throw config_error("admn.config.key", "admn.config key '" + path + key + "' appears twice");
      }
      open.back().last_key = std::move(key);
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), check);
  } catch (const nlohmann::json::exception& e) {
    throw config_error("admn.config.json", std::string("admn.config is not valid JSON: ") + e.what());
  }
}

}  // namespace detail

// The network_config that `text` (an admn.config JSON object, schema above) describes for a
// network whose modalities are `modality_names`, in order. Throws config_error
// [admn.config.json] / [admn.config.key] / [admn.config.value].
[[nodiscard]] inline network_config parse_network_config(std::string_view text,
                                                         std::span<const std::string_view> modality_names) {
  const nlohmann::json json = detail::parse_config_text(text);
  const detail::config_json_reader root("");
  if (!json.is_object()) throw config_error("admn.config.json", "admn.config must be a JSON object");
  network_config out;
  out.modalities.resize(modality_names.size());
  // every_modality first, whatever the order of the keys, so named modalities override it.
  if (const auto every = json.find("every_modality"); every != json.end())
    for (auto& m : out.modalities) detail::read_modality(root.at("every_modality"), *every, m);
  for (const auto& [key, value] : json.items()) {
    const detail::config_json_reader at = root.at(key);
    if (key == "description" || key == "every_modality") {
      continue;
    } else if (key == "modalities") {
      at.require_object(value);
      for (const auto& [name, modality] : value.items()) {
        std::size_t m = 0;
        while (m < modality_names.size() && modality_names[m] != name) ++m;
        if (m == modality_names.size()) {
          std::string known;
          for (const auto n : modality_names) known += (known.empty() ? "" : ", ") + std::string(n);
          throw config_error("admn.config.key", "admn.config 'modalities." + name +
                                                    "': the network has no such modality (it has " + known +
                                                    ")");
        }
        detail::read_modality(at.at(name), modality, out.modalities[m]);
      }
    } else if (key == "controller") {
      detail::read_controller(at, value, out.controller);
    } else if (key == "fusion") {
      detail::read_fusion(at, value, out.fusion);
    } else if (key == "head_prefix") {
      out.head_prefix = at.text(value);
    } else if (key == "costs") {
      if (!value.is_array() || value.size() != modality_names.size())
        at.bad(value,
               "a list of " + std::to_string(modality_names.size()) + " block costs, one per modality");
      for (const auto& c : value) out.costs.push_back(at.count(c, 1, detail::config_json_reader::max_cost));
    } else if (key == "static_plan") {
      out.static_plan = at.text(value, detail::config_json_reader::max_plan);
    } else {
      at.unknown_key();
    }
  }
  return out;
}

// The network_config of Net from `file`'s admn.config (an empty object when the file has none).
// Throws as parse_network_config.
template <class Net>
[[nodiscard]] network_config config_from_file(const io::safetensors_file& file) {
  const auto names = Net::modality_names();
  const auto& meta = file.metadata();
  std::string_view text = "{}";
  if (meta)
    if (const auto it = meta->find("admn.config"); it != meta->end()) text = it->second;
  return parse_network_config(text, names);
}

}  // namespace admn::model
