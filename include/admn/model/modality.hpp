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
#pragma once

#include <admn/model/fixed_string.hpp>
#include <admn/model/vit_backbone.hpp>
#include <admn/tensor/view.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>

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

template <class... Stages>
struct preprocess {};

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
