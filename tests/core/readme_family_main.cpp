// Runs the README's family snippet (run_family) on the reduced GTDM checkpoint.
#include <admn/admn.hpp>

#include <cstdio>
#include <memory>
#include <span>
#include <string>

void run_family(const admn::io::weight_source& w, admn::model::network_config config,
                std::span<const admn::const_view> batch, admn::workspace& ws);

int main() {
  const auto file = std::make_shared<const admn::io::safetensors_file>(
      admn::io::safetensors_file::open(std::string(ADMN_TEST_FIXTURES) + "/networks/gtdm_small.safetensors"));
  const admn::io::weight_source weights(file);
  const auto config = admn::zoo::config_of<admn::zoo::gtdm::network>(*file);
  admn::tensor rgb(admn::shape{3, 3, 3, 32, 32}), depth(admn::shape{3, 3, 3, 32, 32});
  for (std::size_t i = 0; i < rgb.size(); ++i) {
    rgb.data()[i] = static_cast<float>(i % 23) / 23.0f;
    depth.data()[i] = static_cast<float>(i % 7) / 7.0f;
  }
  const admn::const_view batch[] = {rgb.view(), depth.view()};
  admn::workspace ws(1u << 24);
  try {
    run_family(weights, config, batch, ws);
  } catch (const admn::error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("family ran\n");
}
