// Runs a reference network on the cases of a golden file (made by
// tests/reference/make_network_fixtures.py or gtdm_full.py) and checks identical
// layer masks and outputs within 1e-5 relative error, and that the first run sized
// the workspace (common/sized_run.hpp).
#pragma once

#include <admn/zoo/registry.hpp>

#include "common/fixture.hpp"
#include "common/sized_run.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace admn::test {

inline std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, sep);) out.push_back(item);
  return out;
}

// `model` and `cases` are file paths. With bf16 or int8 backbones the masks must still
// be identical (the controller stays f32) and the outputs within `low_precision_tolerance`.
inline void check_network_cases(const std::string& model_path, const std::string& cases_path,
                                kernels::precision precision = kernels::precision::fp32,
                                double low_precision_tolerance = 1e-2) {
  const double tolerance = precision == kernels::precision::fp32 ? 1e-5 : low_precision_tolerance;
  const auto model = std::make_shared<const io::safetensors_file>(io::safetensors_file::open(model_path));
  const auto cases_file =
      std::make_shared<const io::safetensors_file>(io::safetensors_file::open(cases_path));
  const io::weight_source cases(cases_file);
  const auto meta = [&](const std::string& key) { return cases_file->metadata()->at(key); };
  for (const std::string& c : split(meta("cases"), ',')) {
    CAPTURE(model_path);
    CAPTURE(c);
    const bool antialias = meta(c + ".antialias") == "true";
    const std::size_t budget = std::stoul(meta(c + ".budget"));
    zoo::with_network(
        model, antialias,
        [&](const auto& net, const io::weight_source& weights) {
          CHECK(weights.unused_keys().empty());
          std::vector<tensor> inputs;
          std::vector<const_view> views;
          for (const auto name : std::decay_t<decltype(net)>::modality_names())
            inputs.push_back(cases.load(c + "." + std::string(name)));
          for (const auto& t : inputs) views.push_back(t.view());
          const std::size_t batch = inputs.front().shape()[0];
          const auto result =
              sized_by_first_run([&](workspace& ws) { return net.run(views, {.budget = budget}, ws); });

          const tensor mask = cases.load(c + ".layer_mask");
          for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t m = 0; m < mask.shape()[1]; ++m) {
              std::string expected;
              for (std::size_t l = 0; l < mask.shape()[2]; ++l) expected += mask(b, m, l) == 1.0f ? '1' : '0';
              CAPTURE(b);
              CHECK(result.plans[b][m].to_string() == expected);
            }
          check_close(result.controller_logits, cases.load(c + ".controller_logits"));
          check_close(result.qoi, cases.load(c + ".qoi"));
          for (const auto& [name, value] : result.outputs) {
            const auto& name_ = name;  // clang 14: no structured binding in a lambda
            CAPTURE(name_);
            check_close(value, cases.load(c + "." + name), tolerance);
          }
          return 0;
        },
        {}, precision);
  }
}

}  // namespace admn::test
