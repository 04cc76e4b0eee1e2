// Golden files made by tests/reference/*.py, read through admn's own loader.
#pragma once

#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>

#include "common/compare.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace admn::test {

class fixture {
 public:
  // `name` relative to tests/fixtures, e.g. "core/vit_tiny.safetensors".
  explicit fixture(const std::string& name)
      : file_(std::make_shared<const io::safetensors_file>(
            io::safetensors_file::open(std::string(ADMN_TEST_FIXTURES) + "/" + name))),
        weights_(file_) {}

  [[nodiscard]] const io::weight_source& weights() const { return weights_; }
  [[nodiscard]] admn::tensor get(const std::string& key) const { return weights_.load(key); }
  [[nodiscard]] std::string meta(const std::string& key) const {
    const auto& m = file_->metadata();
    REQUIRE(m.has_value());
    const auto it = m->find(key);
    REQUIRE_MESSAGE(it != m->end(), "metadata key " << key);
    return it->second;
  }

 private:
  std::shared_ptr<const io::safetensors_file> file_;
  io::weight_source weights_;
};

// Checks ‖out − ref‖/‖ref‖ ≤ tolerance and reports both error measures.
inline void check_close(const admn::tensor& out, const admn::tensor& ref, double tolerance = 1e-5) {
  REQUIRE(out.size() == ref.size());
  const double rel = relative_error(out.values(), ref.values());
  MESSAGE("relative error " << rel << ", max abs error " << max_abs_error(out.values(), ref.values()));
  CHECK(rel <= tolerance);
}

}  // namespace admn::test
