// A user's own head list fills the Head slot: load(w, dim, tasks), task_names() and
// forward(fused, tasks, ws) computing only the named tasks, plus the members of any head.
#include <admn/model/network.hpp>

#include <string>
#include <vector>

namespace m = admn::model;
using a = m::modality<"a", m::image_input<3>, m::preprocess<>, m::vit<3>>;

// One output per task: the fused vector's first value.
struct first_value_per_task {
  static constexpr bool is_head = true;
  struct runtime {
    std::vector<std::string> names;
    static runtime load(const admn::io::weight_source&, std::size_t, std::span<const m::task_spec> tasks) {
      runtime r;
      for (const auto& t : tasks) r.names.push_back(t.name);
      return r;
    }
    [[nodiscard]] std::vector<std::string> task_names() const { return names; }
    [[nodiscard]] m::named_outputs forward(admn::const_view fused, std::span<const std::size_t> tasks,
                                           admn::workspace&) const {
      m::named_outputs out;
      for (const std::size_t t : tasks) {
        admn::tensor value(admn::shape{fused.extent(0), 1});
        for (std::size_t b = 0; b < fused.extent(0); ++b) value(b, 0) = fused(b, 0);
        out.emplace_back(names[t], std::move(value));
      }
      return out;
    }
    [[nodiscard]] m::named_outputs forward(admn::const_view fused, admn::workspace& ws) const {
      std::vector<std::size_t> all(names.size());
      for (std::size_t t = 0; t < all.size(); ++t) all[t] = t;
      return forward(fused, all, ws);
    }
    [[nodiscard]] std::size_t macs(std::size_t) const { return 0; }
    [[nodiscard]] std::string describe() const { return "first value per task"; }
  };
};
using net = m::network<m::static_plans, m::transformer_fusion, first_value_per_task, a>;

int main() { return net::modality_count == 1 ? 0 : 1; }
