// admn-demo — ADMN on spoken and handwritten digits: a controller that moves layers
// away from a noisy sensor.
//
// The model (examples/data/digits_admn.safetensors, trained by tools/train_demo/)
// sees each digit twice: a handwritten image and the spoken word's log-mel
// spectrogram, each through its own 8-block ViT. Under a budget of L blocks in total,
// the controller looks at both inputs and picks which blocks run. For each
// corruption of the test set (clean, noisy image, noisy audio, both noisy) and each
// even L, the demo prints the accuracy of
//   controller  ADMN's choice of L blocks per sample,
//   equal       the first L/2 blocks of each backbone, for every sample,
//   full        every block of both backbones (independent of L),
// the blocks the controller gave each modality on average, and the latency per
// sample. It writes the table as CSV and, when gnuplot is installed, plots accuracy
// and the controller's blocks per modality against L. With --check it compares its
// masks and predictions with PyTorch's evaluation of the same weights
// (tests/fixtures/demo/digits_eval.safetensors). --precision bf16 / int8 runs the two
// backbones' Linears in that precision (kernels/precision.hpp; the controller stays fp32);
// --bf16 is --precision bf16.
//
//   admn-demo [--model FILE] [--test FILE] [--csv FILE] [--plot FILE.png]
//             [--batch N] [--threads N] [--check FILE] [--precision fp32|bf16|int8] [--bf16]
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/kernels/executor.hpp>
#include <admn/kernels/precision.hpp>
#include <admn/zoo/digits.hpp>
#include <admn/zoo/registry.hpp>

#include <admn/cli/args.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#ifndef ADMN_DEMO_DATA
#define ADMN_DEMO_DATA "examples/data"
#endif

namespace {

using admn::zoo::digits::network;

struct options {
  std::string model = ADMN_DEMO_DATA "/digits_admn.safetensors";
  std::string test = ADMN_DEMO_DATA "/digits_test.safetensors";
  std::string csv = "admn-demo.csv";
  std::string plot{};   // PNG path; empty: no plot
  std::string check{};  // PyTorch evaluation to compare with; empty: no check
  std::size_t batch = 32;
  int threads = 2;
  admn::kernels::precision precision = admn::kernels::precision::fp32;
};

// The four corruptions of the demo, in the order of the PyTorch evaluation.
struct setting {
  const char* name;
  bool image_noisy, audio_noisy;
};
constexpr std::array<setting, 4> settings{{{"clean", false, false},
                                           {"image noisy", true, false},
                                           {"audio noisy", false, true},
                                           {"both noisy", true, true}}};

// The test pairs: both modalities clean and with heavy noise, and the labels.
struct test_set {
  admn::tensor image_clean, image_noisy, audio_clean, audio_noisy;
  std::vector<int> labels;
  [[nodiscard]] std::size_t size() const noexcept { return labels.size(); }
  [[nodiscard]] const admn::tensor& image(const setting& s) const {
    return s.image_noisy ? image_noisy : image_clean;
  }
  [[nodiscard]] const admn::tensor& audio(const setting& s) const {
    return s.audio_noisy ? audio_noisy : audio_clean;
  }
};

std::shared_ptr<const admn::io::safetensors_file> open(const std::string& path) {
  return std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(path));
}

// A tensor of any numeric dtype (F16 inputs, I64 labels, U8 masks, F64 gaps) as f32.
admn::tensor read_floats(const admn::io::safetensors_file& file, const std::string& key) {
  const auto stored = file.tensor(key);
  std::vector<std::size_t> dims(stored.shape().begin(), stored.shape().end());
  admn::tensor t{admn::shape(std::span<const std::size_t>(dims))};
  stored.to_f32(t.values());
  return t;
}

// Integer tensors (labels, masks, predictions), exact as floats.
std::vector<int> read_ints(const admn::io::safetensors_file& file, const std::string& key) {
  const admn::tensor t = read_floats(file, key);
  std::vector<int> out(t.size());
  std::transform(t.values().begin(), t.values().end(), out.begin(),
                 [](float v) { return static_cast<int>(v); });
  return out;
}

test_set load_test_set(const std::string& path) {
  const auto file = admn::io::safetensors_file::open(path);
  test_set t{read_floats(file, "image.clean"), read_floats(file, "image.noisy"),
             read_floats(file, "audio.clean"), read_floats(file, "audio.noisy"), read_ints(file, "label")};
  for (const admn::tensor* x : {&t.image_clean, &t.image_noisy, &t.audio_clean, &t.audio_noisy})
    if (x->shape().rank() != 4 || x->shape()[0] != t.size())
      throw admn::shape_error("admn.demo.test_set", path + ": expected (N, 1, H, W) inputs for " +
                                                        std::to_string(t.size()) + " labels, got " +
                                                        x->shape().to_string());
  return t;
}

// Predictions, plans and wall time of one way of running the test set.
struct evaluation {
  std::vector<int> predictions;
  std::vector<admn::adaptive::layer_plan> plans;
  double seconds = 0;

  [[nodiscard]] double accuracy(const std::vector<int>& labels) const {
    std::size_t right = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) right += predictions[i] == labels[i];
    return static_cast<double>(right) / static_cast<double>(labels.size());
  }
  // Average number of blocks modality m ran per sample.
  [[nodiscard]] double blocks(std::size_t m) const {
    double total = 0;
    for (const auto& p : plans) total += static_cast<double>(p[m].count());
    return total / static_cast<double>(plans.size());
  }
};

evaluation evaluate(const network& model, const test_set& data, const setting& s,
                    const admn::model::run_options& run, std::size_t batch, admn::workspace& ws) {
  evaluation e;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t b0 = 0; b0 < data.size(); b0 += batch) {
    const std::size_t b1 = std::min(data.size(), b0 + batch), n = b1 - b0;
    const admn::const_view image = data.image(s).view().slice(b0, b1),
                           audio = data.audio(s).view().slice(b0, b1);
    // (B, instances = 1, C, H, W) per modality, in the network's modality order.
    const std::array<admn::const_view, 2> inputs{
        image.reshape(admn::shape{n, 1, image.extent(1), image.extent(2), image.extent(3)}),
        audio.reshape(admn::shape{n, 1, audio.extent(1), audio.extent(2), audio.extent(3)})};
    const admn::model::network_result result = model.run(inputs, run, ws);
    const admn::tensor& logits = result.output("logits");
    const std::size_t classes = logits.shape()[1];
    for (std::size_t i = 0; i < n; ++i) {
      const float* row = logits.data() + i * classes;
      e.predictions.push_back(static_cast<int>(std::max_element(row, row + classes) - row));
    }
    e.plans.insert(e.plans.end(), result.plans.begin(), result.plans.end());
  }
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return e;
}

// The first `per_modality` blocks of each backbone.
admn::adaptive::layer_plan equal_plan(const network& model, std::size_t per_modality) {
  const auto depths = model.depths();
  admn::adaptive::layer_plan plan(std::span<const std::size_t>(depths.data(), depths.size()));
  for (std::size_t m = 0; m < depths.size(); ++m)
    for (std::size_t b = 0; b < per_modality; ++b) plan[m].keep(b);
  return plan;
}

struct row {
  std::size_t setting;  // index into `settings` (and into the full-network evaluations)
  std::size_t budget;
  evaluation controller, equal;
};

// PyTorch's evaluation of the same weights: masks and predictions must be identical,
// except where PyTorch itself saw a near-tie (|cut gap| or class margin < 1e-5), where
// float rounding may flip the choice; those are counted, not compared.
class pytorch_check {
 public:
  explicit pytorch_check(const std::string& path)
      : source_(admn::io::safetensors_file::open(path)),
        budgets_(read_ints(source_, "budgets")),
        controller_mask_(read_ints(source_, "controller.mask")),
        controller_pred_(read_ints(source_, "controller.pred")),
        equal_pred_(read_ints(source_, "equal.pred")),
        full_pred_(read_ints(source_, "full.pred")),
        cut_gap_(read_floats(source_, "controller.cut_gap")),
        controller_margin_(read_floats(source_, "controller.margin")),
        equal_margin_(read_floats(source_, "equal.margin")),
        full_margin_(read_floats(source_, "full.margin")) {}

  void compare(std::size_t s, std::size_t budget, const evaluation& controller, const evaluation& equal,
               const evaluation* full, std::size_t depth) {
    const auto it = std::find(budgets_.begin(), budgets_.end(), static_cast<int>(budget));
    if (it == budgets_.end()) return;
    const auto l = static_cast<std::size_t>(it - budgets_.begin()), n = controller.predictions.size();
    const std::size_t base = (s * budgets_.size() + l) * n;
    for (std::size_t i = 0; i < n; ++i) {
      const bool mask_tie = std::abs(cut_gap_.data()[base + i]) < 1e-5f;
      bool same_mask = true;
      for (std::size_t m = 0; m < 2; ++m)
        for (std::size_t b = 0; b < depth; ++b)
          same_mask &=
              controller.plans[i][m].kept(b) == (controller_mask_[((base + i) * 2 + m) * depth + b] != 0);
      count(mask_tie, same_mask, masks_);
      count(mask_tie || controller_margin_.data()[base + i] < 1e-5f,
            controller.predictions[i] == controller_pred_[base + i], predictions_);
      count(equal_margin_.data()[base + i] < 1e-5f, equal.predictions[i] == equal_pred_[base + i],
            predictions_);
      if (full)
        count(full_margin_.data()[s * n + i] < 1e-5f, full->predictions[i] == full_pred_[s * n + i],
              predictions_);
    }
  }

  // Prints the summary; true when nothing differed.
  bool report() const {
    std::printf(
        "check against PyTorch: masks %zu identical, %zu different, %zu near-ties skipped; "
        "predictions %zu identical, %zu different, %zu near-ties skipped\n",
        masks_[0], masks_[1], masks_[2], predictions_[0], predictions_[1], predictions_[2]);
    return masks_[1] == 0 && predictions_[1] == 0 && masks_[0] > 0;
  }

 private:
  static void count(bool tie, bool same, std::array<std::size_t, 3>& tally) {
    ++tally[tie ? 2 : (same ? 0 : 1)];
  }

  admn::io::safetensors_file source_;
  std::vector<int> budgets_, controller_mask_, controller_pred_, equal_pred_, full_pred_;
  admn::tensor cut_gap_, controller_margin_, equal_margin_, full_margin_;
  std::array<std::size_t, 3> masks_{}, predictions_{};  // identical, different, skipped
};

void write_csv(const std::string& path, const std::vector<row>& rows, const std::vector<evaluation>& full,
               const test_set& data) {
  std::ofstream out(path);
  if (!out) throw admn::argument_error("admn.demo.csv", "cannot write '" + path + "'");
  out << "setting,L,controller_accuracy,equal_accuracy,full_accuracy,controller_image_blocks,"
         "controller_audio_blocks,controller_ms_per_sample,equal_ms_per_sample,full_ms_per_sample\n";
  for (const auto& r : rows) {
    const std::size_t s = r.setting;
    const double per_sample = 1e3 / static_cast<double>(data.size());
    out << '"' << settings[s].name << "\"," << r.budget << ',' << r.controller.accuracy(data.labels) << ','
        << r.equal.accuracy(data.labels) << ',' << full[s].accuracy(data.labels) << ','
        << r.controller.blocks(0) << ',' << r.controller.blocks(1) << ',' << r.controller.seconds * per_sample
        << ',' << r.equal.seconds * per_sample << ',' << full[s].seconds * per_sample << '\n';
  }
}

// Accuracy against L, one panel per corruption, and beside them the blocks the
// controller gave each modality (one line per corruption; equal allocation is the
// dashed L/2). False when gnuplot is missing or fails.
bool plot(const std::string& csv, const std::string& png, std::size_t max_budget) {
  FILE* gp = popen("gnuplot 2>/dev/null", "w");
  if (!gp) return false;
  std::fprintf(gp,
               "set terminal pngcairo size 1500,900 font ',11'\nset output '%s'\n"
               "set datafile separator ','\nset grid\nset xlabel 'budget L (blocks of %zu)'\n"
               "set multiplot layout 2,3 title 'ADMN on spoken + handwritten digits (admn-demo)'\n",
               png.c_str(), max_budget);
  const auto accuracy_panel = [&](const setting& s) {
    std::fprintf(gp,
                 "set title '%s'\nset key bottom right\nset yrange [*:1.02]\nset ylabel 'test accuracy'\n"
                 "plot '%s' using 2:(strcol(1) eq '%s' ? $3 : NaN) with linespoints lw 2 title 'controller', "
                 "'' using 2:(strcol(1) eq '%s' ? $4 : NaN) with linespoints lw 2 title 'equal L/2 + L/2', "
                 "'' using 2:(strcol(1) eq '%s' ? $5 : NaN) with lines dt 2 title 'full (%zu blocks)'\n",
                 s.name, csv.c_str(), s.name, s.name, s.name, max_budget);
  };
  const auto blocks_panel = [&](const char* modality, int column) {
    std::fprintf(gp,
                 "set title 'blocks the controller gives the %s'\nset key top left\nset yrange [0:%zu]\n"
                 "set ylabel '%s blocks (mean over the test set)'\nplot ",
                 modality, max_budget / 2, modality);
    for (const auto& s : settings)
      std::fprintf(gp, "'%s' using 2:(strcol(1) eq '%s' ? $%d : NaN) with linespoints lw 2 title '%s', ",
                   csv.c_str(), s.name, column, s.name);
    std::fprintf(gp, "x / 2 with lines dt 2 lc 'gray' title 'equal (L/2)'\n");
  };
  accuracy_panel(settings[0]);
  accuracy_panel(settings[1]);
  blocks_panel("image", 6);
  accuracy_panel(settings[2]);
  accuracy_panel(settings[3]);
  blocks_panel("audio", 7);
  std::fprintf(gp, "unset multiplot\n");
  return pclose(gp) == 0;
}

options parse(int argc, char** argv) {
  using admn::cli::flag_value;
  options o;
  const auto positive = [](std::string_view flag, std::string_view text) {
    const std::size_t v = admn::cli::parse_count(flag, text, "a positive integer");
    if (v == 0 || v > 4096)
      throw admn::argument_error("admn.cli.value", std::string(flag) + " must be 1 to 4096");
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--model")
      o.model = flag_value(argc, argv, i);
    else if (a == "--test")
      o.test = flag_value(argc, argv, i);
    else if (a == "--csv")
      o.csv = flag_value(argc, argv, i);
    else if (a == "--plot")
      o.plot = flag_value(argc, argv, i);
    else if (a == "--check")
      o.check = flag_value(argc, argv, i);
    else if (a == "--batch")
      o.batch = positive(a, flag_value(argc, argv, i));
    else if (a == "--threads")
      o.threads = static_cast<int>(positive(a, flag_value(argc, argv, i)));
    else if (a == "--precision")
      o.precision = admn::kernels::parse_precision(flag_value(argc, argv, i));
    else if (a == "--bf16")
      o.precision = admn::kernels::precision::bf16;
    else
      throw admn::cli::unknown_flag(a);
  }
  return o;
}

int run(const options& o) {
  // The network type comes from zoo/digits.hpp (public building blocks); the
  // backbone heads and input sizes from the file's admn.config.
  const auto file = open(o.model);
  auto config = admn::zoo::config_of<network>(*file);
  for (auto& m : config.modalities) m.precision = o.precision;
  const network model = admn::model::load<network>(admn::io::weight_source(file), config);
  const test_set data = load_test_set(o.test);
  const std::size_t depth = model.depths()[0], max_budget = 2 * depth;
  std::printf(
      "model %s: 2 x %zu-block ViTs (%s Linears), controller, fusion, 10 classes\ntest set %s: %zu pairs; "
      "batch %zu, %d threads\n\n",
      o.model.c_str(), depth, std::string(admn::kernels::to_string(o.precision)).c_str(), o.test.c_str(),
      data.size(), o.batch, o.threads);

  std::optional<pytorch_check> check;
  if (!o.check.empty()) check.emplace(o.check);
  std::vector<row> rows;
  std::vector<evaluation> full;
  admn::workspace ws;
  const admn::executor ex({.threads = o.threads});
  ex.run([&] {
    for (std::size_t s = 0; s < settings.size(); ++s) {
      const auto all = admn::adaptive::layer_plan::all(model.depths());
      full.push_back(evaluate(model, data, settings[s], {.plan = all}, o.batch, ws));
      for (std::size_t budget = 2; budget <= max_budget; budget += 2) {
        rows.push_back(
            {s, budget, evaluate(model, data, settings[s], {.budget = budget}, o.batch, ws),
             evaluate(model, data, settings[s], {.plan = equal_plan(model, budget / 2)}, o.batch, ws)});
        if (check)
          check->compare(s, budget, rows.back().controller, rows.back().equal,
                         budget == 2 ? &full[s] : nullptr, depth);
      }
    }
  });

  const double per_sample = 1e3 / static_cast<double>(data.size());
  std::printf("%-12s %3s  %10s %8s %8s  %14s  %22s\n", "setting", "L", "controller", "equal", "full",
              "blocks img/aud", "ms/sample ctrl/eq/full");
  for (const auto& r : rows) {
    const std::size_t s = r.setting;
    std::printf("%-12s %3zu  %9.1f%% %7.1f%% %7.1f%%  %6.2f / %5.2f  %6.3f / %6.3f / %6.3f\n",
                settings[s].name, r.budget, 100 * r.controller.accuracy(data.labels),
                100 * r.equal.accuracy(data.labels), 100 * full[s].accuracy(data.labels),
                r.controller.blocks(0), r.controller.blocks(1), r.controller.seconds * per_sample,
                r.equal.seconds * per_sample, full[s].seconds * per_sample);
    if (r.budget == max_budget) std::printf("\n");
  }
  write_csv(o.csv, rows, full, data);
  std::printf("wrote %s\n", o.csv.c_str());
  if (!o.plot.empty()) {
    if (plot(o.csv, o.plot, max_budget))
      std::printf("wrote %s\n", o.plot.c_str());
    else
      std::printf("no plot: gnuplot is not installed (tools/deps.sh plot) or failed\n");
  }
  if (check && !check->report()) return 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return admn::cli::guarded_main("admn-demo", [&] { return run(parse(argc, argv)); });
}
