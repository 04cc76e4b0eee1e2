// admn/model/modality.hpp — a sensor modality as a type: name, input, preprocessing, backbone.
//
//   using rgb = modality<"rgb", image_input<3>, preprocess<imagenet_normalize>, vit<3>>;
//   using depth = modality<"depth", image_input<1>, preprocess<repeat_channels<1, 3>>, vit<3>>;
//
// Structure is checked at compile time: every preprocessing stage must accept the
// channel count it receives, and the backbone must take what the last stage
// gives. Sizes (image height/width, instances per sample, ViT width/depth) are
// run-time values from the input tensors, the weights and the config.
// Preprocessing runs before both the controller and the backbone: in ADMN the
// controller sees the same tensors the backbones see (docs/numerics.md §4.1).
// The raw-input stages further down (decode_frames, resize_images, ave_audio_frontend) make
// such images from decoded frames and audio; zoo/preprocess.hpp chains them per network.
#pragma once

#include <admn/kernels/fbank.hpp>
#include <admn/kernels/resize.hpp>
#include <admn/model/fixed_string.hpp>
#include <admn/model/vit_backbone.hpp>
#include <admn/tensor/view.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace admn::model {

// What a modality receives per sample: `instances` images of Channels × H × W
// (instances, H and W are read from the input tensor at run time).
template <std::size_t Channels>
struct image_input {
  static_assert(Channels > 0, "an image needs at least one channel");
  static constexpr std::size_t channels = Channels;
};

// ---- preprocessing stages --------------------------------------------------------------------
// A stage S maps images of C channels to images of S::output_channels<C> channels,
// and accepts only the C for which S::accepts<C> holds. apply() reads one batch
// of images (n, C, h, w) and writes (n, output_channels<C>, h, w).

// Repeats channels cyclically: GTDM's ExpandChannels turns 1-channel depth into 3 (§1).
template <std::size_t From, std::size_t To>
struct repeat_channels {
  template <std::size_t C>
  static constexpr bool accepts = C == From;
  template <std::size_t C>
  static constexpr std::size_t output_channels = To;

  static void apply(const_view in, mutable_view out) {
    const std::size_t plane = in.extent(2) * in.extent(3);
    for (std::size_t n = 0; n < in.extent(0); ++n)
      for (std::size_t c = 0; c < To; ++c)
        std::copy_n(in.data() + (n * From + c % From) * plane, plane, out.data() + (n * To + c) * plane);
  }
};

// torchvision Normalize(mean=[0.485,0.456,0.406], std=[0.229,0.224,0.225]) on RGB (§6).
struct imagenet_normalize {
  template <std::size_t C>
  static constexpr bool accepts = C == 3;
  template <std::size_t C>
  static constexpr std::size_t output_channels = 3;

  static void apply(const_view in, mutable_view out) {
    constexpr std::array<float, 3> mean{0.485f, 0.456f, 0.406f}, stdev{0.229f, 0.224f, 0.225f};
    const std::size_t plane = in.extent(2) * in.extent(3);
    for (std::size_t n = 0; n < in.extent(0); ++n)
      for (std::size_t c = 0; c < 3; ++c) {
        const float* src = in.data() + (n * 3 + c) * plane;
        float* dst = out.data() + (n * 3 + c) * plane;
        // (x − mean) / std, as torchvision computes it (a division, not a multiply).
        for (std::size_t i = 0; i < plane; ++i) dst[i] = (src[i] - mean[c]) / stdev[c];
      }
  }
};

// clamp(0, 1), applied to corrupted inputs before resizing in ADMN's datasets (§6).
struct clamp_unit {
  template <std::size_t C>
  static constexpr bool accepts = true;
  template <std::size_t C>
  static constexpr std::size_t output_channels = C;

  static void apply(const_view in, mutable_view out) {
    for (std::size_t i = 0; i < in.size(); ++i) out.data()[i] = std::clamp(in.data()[i], 0.0f, 1.0f);
  }
};

// Per-image min-max normalisation to [0, 1] over all channels and pixels, as OpenCV's
// cv2.normalize(img, None, 0, 1, NORM_MINMAX, dtype=CV_32F) (GTDM's frames, §6): with the
// image's min and max, scale = 1/(max − min) and shift = −min·scale in double, then
// y = fma(x, float(scale), float(shift)) in float32 (OpenCV's vectorised convertTo: its result
// can be a few 1e-9 below 0, which a later clamp_unit removes). A constant image (max − min ≤
// DBL_EPSILON) has scale 0 and maps to 0, as in OpenCV. Non-finite pixels are the caller's to
// reject (they make min/max meaningless).
struct minmax_normalize {
  template <std::size_t C>
  static constexpr bool accepts = true;
  template <std::size_t C>
  static constexpr std::size_t output_channels = C;

  static void apply(const_view in, mutable_view out) {
    const std::size_t image = in.extent(1) * in.extent(2) * in.extent(3);
    for (std::size_t n = 0; n < in.extent(0); ++n) {
      const float* src = in.data() + n * image;
      float* dst = out.data() + n * image;
      if (image == 0) continue;
      const auto [lo, hi] = std::minmax_element(src, src + image);
      const double range = static_cast<double>(*hi) - static_cast<double>(*lo);
      const double scale = range > std::numeric_limits<double>::epsilon() ? 1.0 / range : 0.0;
      const auto scale_f = static_cast<float>(scale);
      const auto shift_f = static_cast<float>(-static_cast<double>(*lo) * scale);
      for (std::size_t i = 0; i < image; ++i) dst[i] = std::fma(src[i], scale_f, shift_f);
    }
  }
};

template <class... Stages>
struct preprocess {};

// ---- raw-input stages ------------------------------------------------------------------------
// Unlike the stages above, these change the element type or the image size, so they take their
// parameters at run time and say what they make (output_shape). The per-architecture raw
// pipelines (zoo/preprocess.hpp) chain them with the stages above.

// Decoded 8-bit frames (n, h, w, c), HWC as image decoders give them, to float CHW (n, c, h, w).
// `divide_by_255`: x / 255 in float32 (AVE and MMFI: torch's `img / 255`); otherwise the values
// stay 0…255 (GTDM normalises with minmax_normalize instead). `reverse_channels` reverses the
// channel order: BGR from cv2.imread → RGB (GTDM's cvtColor(COLOR_BGR2RGB)).
struct decode_frames {
  bool divide_by_255 = true;
  bool reverse_channels = false;

  [[nodiscard]] static shape output_shape(const shape& in) { return shape{in[0], in[3], in[1], in[2]}; }

  void apply(tensor_view<const std::uint8_t> in, mutable_view out) const {
    const std::size_t n = in.extent(0), h = in.extent(1), w = in.extent(2), c = in.extent(3);
    const std::size_t plane = h * w;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t ch = 0; ch < c; ++ch) {
        const std::uint8_t* src = in.data() + i * plane * c + (reverse_channels ? c - 1 - ch : ch);
        float* dst = out.data() + (i * c + ch) * plane;
        for (std::size_t p = 0; p < plane; ++p) {
          const auto v = static_cast<float>(src[p * c]);
          dst[p] = divide_by_255 ? v / 255.0f : v;
        }
      }
  }
};

// Bilinear resize of (n, C, h, w) images to (n, C, H, W): torchvision's Resize((H, W)) on float
// tensors, antialiased or not (§0, §4.1; kernels/resize.hpp). Sizes are fixed at construction.
class resize_images {
 public:
  // Throws shape_error [admn.resize.shape] for a size of 0 or ≥ 2^31.
  resize_images(std::size_t in_h, std::size_t in_w, std::size_t out_h, std::size_t out_w, bool antialias)
      : plan_(in_h, in_w, out_h, out_w, antialias) {}

  [[nodiscard]] const kernels::resize_plan& plan() const noexcept { return plan_; }
  [[nodiscard]] shape output_shape(const shape& in) const {
    return shape{in[0], in[1], plan_.out_h(), plan_.out_w()};
  }

  // in (n, C, in_h, in_w) → out (n, C, out_h, out_w); allocates its scratch plane.
  void apply(const_view in, mutable_view out) const {
    const std::size_t channels = in.extent(0) * in.extent(1);
    std::vector<float> scratch(plan_.scratch_size(channels));
    plan_.run(in.data(), channels, out.data(), scratch.data());
  }

 private:
  kernels::resize_plan plan_;
};

// AVE's audio front end (AVE_Custom's dataset, §6): a 16 kHz mono waveform w →
//   x = w − mean(w);  F = Kaldi fbank of x (kernels/fbank.hpp, `mel_bins` bins, ADMN's options);
//   F zero-padded (or cut) to `frames` frames, transposed to (mel_bins, frames);
//   out = (F + 4.2677393) / (4.5689974·2)      (AudioMAE's dataset mean and std, as ADMN's code)
// → (1, mel_bins, frames); padded frames hold 4.2677393 / 9.1379948. The mean is taken in double
// and rounded to float once. Only the kept frames are transformed.
class ave_audio_frontend {
 public:
  static constexpr float fbank_mean = -4.2677393f;
  static constexpr float fbank_std = 4.5689974f;

  // mel_bins × frames is the audio backbone's input (128 × 1024 in ADMN). Throws argument_error
  // [admn.fbank.options] when mel_bins is outside [4, 4096].
  explicit ave_audio_frontend(std::size_t mel_bins = 128, std::size_t frames = 1024)
      : fbank_(kernels::fbank_options{.mel_bins = mel_bins}), frames_(frames) {}

  [[nodiscard]] const kernels::fbank_plan& fbank() const noexcept { return fbank_; }
  [[nodiscard]] std::size_t frames() const noexcept { return frames_; }
  // Fewest samples that give one frame (shorter waveforms have no fbank: torchaudio refuses them).
  [[nodiscard]] std::size_t min_samples() const noexcept { return fbank_.frame_length(); }
  [[nodiscard]] shape output_shape() const { return shape{1, fbank_.mel_bins(), frames_}; }

  // wave: `samples` ≥ min_samples() finite values (the caller checks); out: output_shape().
  void apply(const float* wave, std::size_t samples, mutable_view out) const {
    double sum = 0.0;
    for (std::size_t i = 0; i < samples; ++i) sum += wave[i];
    const auto mean = static_cast<float>(sum / static_cast<double>(samples));
    // Frame f reads samples [f·S, f·S + L): only those of the kept frames are centred.
    const std::size_t kept = std::min(fbank_.frames(samples), frames_);
    const std::size_t used = kept == 0 ? 0 : (kept - 1) * fbank_.frame_shift() + fbank_.frame_length();
    std::vector<float> centred(used);
    for (std::size_t i = 0; i < used; ++i) centred[i] = wave[i] - mean;
    const std::size_t bins = fbank_.mel_bins();
    std::vector<float> features(kept * bins), scratch(fbank_.scratch_size());
    fbank_.run(centred.data(), 0, kept, features.data(), scratch.data());
    const float denominator = fbank_std * 2.0f;
    float* o = out.data();
    for (std::size_t b = 0; b < bins; ++b)
      for (std::size_t f = 0; f < frames_; ++f)
        o[b * frames_ + f] = ((f < kept ? features[f * bins + b] : 0.0f) - fbank_mean) / denominator;
  }

 private:
  kernels::fbank_plan fbank_;
  std::size_t frames_;
};

// ---- backbones -------------------------------------------------------------------------------

// A timm ViT taking `Channels`-channel images; width, depth, patch size and token
// count come from the weights, the head count from the modality's config.
template <std::size_t Channels = 3>
struct vit {
  static constexpr std::size_t channels = Channels;
  using runtime = vit_backbone;
};

// ---- checks ----------------------------------------------------------------------------------

namespace detail {

// Instantiated once per stage: a failure names the stage and the channel count.
template <class Stage, std::size_t Channels>
struct stage_input_check {
  static_assert(Stage::template accepts<Channels>,
                "admn: this preprocessing stage cannot take images with this many channels "
                "(see Stage and Channels in the instantiation above)");
  static constexpr std::size_t output = Stage::template output_channels<Channels>;
};

template <std::size_t Channels, class... Stages>
struct stage_chain;
template <std::size_t Channels>
struct stage_chain<Channels> {
  static constexpr std::size_t channels = Channels;
};
template <std::size_t Channels, class First, class... Rest>
struct stage_chain<Channels, First, Rest...> {
  static constexpr std::size_t channels =
      stage_chain<stage_input_check<First, Channels>::output, Rest...>::channels;
};

template <class Preprocess, std::size_t Channels>
struct channels_after;
template <std::size_t Channels, class... Stages>
struct channels_after<preprocess<Stages...>, Channels> {
  static constexpr std::size_t value = stage_chain<Channels, Stages...>::channels;
};

template <std::size_t Given, std::size_t Expected>
struct backbone_input_check {
  static_assert(Given == Expected,
                "admn: the backbone takes a different number of channels than the modality gives after "
                "preprocessing (Given vs Expected above); add a stage such as repeat_channels");
  static constexpr bool ok = true;
};

}  // namespace detail

// Represents: one sensor modality of a network.
// Requires:   Input is an image_input<C>; Preprocess is preprocess<Stages...> whose
//             stages accept the channels they receive; Backbone::channels equals the
//             channels after preprocessing.
// Ensures:    name() is the input tensor name and the controller's encoder key.
template <fixed_string Name, class Input, class Preprocess, class Backbone>
struct modality {
  static_assert(Name.size() > 0, "admn: a modality needs a non-empty name");
  using input = Input;
  using preprocessing = Preprocess;
  using backbone = Backbone;
  static constexpr std::size_t input_channels = Input::channels;
  static constexpr std::size_t backbone_channels = detail::channels_after<Preprocess, Input::channels>::value;
  static_assert(detail::backbone_input_check<backbone_channels, Backbone::channels>::ok);
  static constexpr bool is_modality = true;

  [[nodiscard]] static constexpr std::string_view name() noexcept { return Name.view(); }
};

template <class M>
concept modality_type = requires {
  requires M::is_modality;
  { M::name() } -> std::convertible_to<std::string_view>;
  typename M::backbone::runtime;
};

// Runs a modality's preprocessing stages on (n, C, h, w) images, ping-ponging
// between two scratch buffers; returns a view of the result (or `in` itself when
// there are no stages).
template <class Preprocess>
struct preprocess_runner;

template <class... Stages>
struct preprocess_runner<preprocess<Stages...>> {
  static constexpr bool empty = sizeof...(Stages) == 0;

  // The widest channel count along the chain that starts with `Channels`.
  template <std::size_t Channels, class First, class... Rest>
  static constexpr std::size_t widest() {
    constexpr std::size_t out = First::template output_channels<Channels>;
    if constexpr (sizeof...(Rest) == 0)
      return std::max(Channels, out);
    else
      return std::max(Channels, widest<out, Rest...>());
  }

  // Scratch floats for n images of h × w entering with `Channels` channels.
  template <std::size_t Channels>
  [[nodiscard]] static constexpr std::size_t scratch_floats(std::size_t n, std::size_t h, std::size_t w) {
    if constexpr (empty)
      return 0;
    else
      return 2 * n * widest<Channels, Stages...>() * h * w;
  }

  template <std::size_t Channels>
  static const_view run(const_view in, float* scratch) {
    if constexpr (empty) {
      return in;
    } else {
      const std::size_t half = scratch_floats<Channels>(in.extent(0), in.extent(2), in.extent(3)) / 2;
      return run_from<Channels, Stages...>(in, scratch, scratch + half);
    }
  }

 private:
  template <std::size_t Channels, class First, class... Rest>
  static const_view run_from(const_view current, float* target, float* spare) {
    constexpr std::size_t out_channels = First::template output_channels<Channels>;
    const mutable_view out(target,
                           shape{current.extent(0), out_channels, current.extent(2), current.extent(3)});
    First::apply(current, out);
    if constexpr (sizeof...(Rest) == 0)
      return out;
    else
      return run_from<out_channels, Rest...>(out, spare, target);
  }
};

}  // namespace admn::model
