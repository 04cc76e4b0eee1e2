// admn/zoo/preprocess.hpp — raw sensor data to the input tensors of ADMN's networks.
//
// What ADMN's data loaders do before the network (docs/numerics.md §6), from decoded frames and
// audio, so that an application feeds what its camera/decoder and microphone give:
//
//   auto rgb = admn::zoo::raw::gtdm_rgb(bgr_frames, {224, 224});   // (B, 3, 3, 224, 224)
//
// Frames are 8-bit HWC, one tensor per modality: (B, instances, H, W, C), as cv2/PIL decode them;
// every pipeline resizes them to `size` (the backbone's image size, config.modalities[m].image)
// with torchvision's bilinear Resize (antialias per §0, on by default as in ADMN's environment).
//   GTDM RGB    BGR (cv2.imread) → RGB → per-image min-max to [0, 1] → clamp → resize → ImageNet
//   GTDM depth  grayscale (C = 1 or no C axis) → min-max → clamp → resize → repeat to 3 channels
//   AVE image   RGB → /255 → clamp → resize → ImageNet                        (8 frames in ADMN)
//   AVE audio   F32 (B, samples) 16 kHz mono → model::ave_audio_frontend → (B, 1, 1, 128, 1024)
//   MMFI rgb    RGB → /255 → clamp → resize → ImageNet                        (15 frames in ADMN)
//   MMFI depth  colourised depth, RGB → /255 → clamp → resize (not normalised)
// GTDM depth is resized before the channel repeat (the three channels are equal either way, and
// one plane is cheaper). MMFI's frames were PIL-resized to 224 × 224 offline by ADMN; give
// 224 × 224 frames to reproduce it (the resize is then the identity), other sizes are resized here
// with torchvision's filter, not PIL's. The corruption ADMN adds in training (x + noise before the
// clamp) is not part of inference.
//
// Bad input throws shape_error / argument_error with ids:
//   [admn.raw.rank]       frames not (B, instances, H, W, C) (or (B, instances, H, W) for depth),
//                         audio not (B, samples)
//   [admn.raw.channels]   C other than 3 (RGB/BGR) or 1 (depth)
//   [admn.raw.empty]      a zero extent
//   [admn.raw.audio_length] fewer samples than one 25 ms frame (400)
//   [admn.raw.sample_rate]  a sample rate other than 16000 Hz
//   [admn.raw.non_finite] a NaN or infinite audio sample
#pragma once

#include <admn/error.hpp>
#include <admn/model/modality.hpp>
#include <admn/tensor/tensor.hpp>
#include <admn/zoo/ave.hpp>
#include <admn/zoo/gtdm.hpp>
#include <admn/zoo/mmfi.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace admn::zoo::raw {

using frames_view = tensor_view<const std::uint8_t>;
using waveform_view = tensor_view<const float>;
using image_size = std::array<std::size_t, 2>;

namespace detail {

[[noreturn]] inline void fail_shape(std::string_view id, std::string_view what, const shape& got,
                                    std::string_view expected) {
  throw shape_error(id,
                    std::string(what) + ": expected " + std::string(expected) + ", got " + got.to_string());
}

// (B, N, H, W, C) with C = channels (or, when `channels` is 1, also (B, N, H, W)), no zero extent.
inline void check_frames(std::string_view what, frames_view f, std::size_t channels) {
  const std::string expected =
      channels == 1 ? "(B, instances, H, W) or (B, instances, H, W, 1) U8" : "(B, instances, H, W, 3) U8";
  if (!(f.rank() == 5 || (channels == 1 && f.rank() == 4)))
    fail_shape("admn.raw.rank", what, f.shape(), expected);
  if (f.rank() == 5 && f.extent(4) != channels) fail_shape("admn.raw.channels", what, f.shape(), expected);
  for (std::size_t i = 0; i < f.rank(); ++i)
    if (f.extent(i) == 0) fail_shape("admn.raw.empty", what, f.shape(), expected + " with no zero extent");
  if (!f.is_contiguous())
    throw argument_error("admn.raw.strided", std::string(what) + ": frames must be contiguous");
}

struct image_steps {
  bool minmax = false;            // GTDM: cv2 NORM_MINMAX (else /255)
  bool reverse_channels = false;  // BGR input
  bool imagenet = false;
  std::size_t repeat_to = 0;  // 3 for GTDM depth
};

// The shared frame pipeline: decode → (minmax | /255) → clamp → resize → [ImageNet] → [repeat].
inline tensor frames_to_input(std::string_view what, frames_view frames, std::size_t channels,
                              image_size size, bool antialias, const image_steps& steps) {
  check_frames(what, frames, channels);
  const std::size_t b = frames.extent(0), n = frames.extent(1), h = frames.extent(2), w = frames.extent(3);
  const std::size_t images = b * n;
  const frames_view flat(frames.data(), shape{images, h, w, channels});
  const model::decode_frames decode{.divide_by_255 = !steps.minmax,
                                    .reverse_channels = steps.reverse_channels};
  tensor decoded(model::decode_frames::output_shape(flat.shape()));
  decode.apply(flat, decoded.view());
  if (steps.minmax) model::minmax_normalize::apply(decoded.view(), decoded.view());
  model::clamp_unit::apply(decoded.view(), decoded.view());
  const model::resize_images resize(h, w, size[0], size[1], antialias);
  tensor resized(resize.output_shape(decoded.shape()));
  resize.apply(decoded.view(), resized.view());
  if (steps.imagenet) model::imagenet_normalize::apply(resized.view(), resized.view());
  const std::size_t out_channels = steps.repeat_to != 0 ? steps.repeat_to : channels;
  tensor out(shape{b, n, out_channels, size[0], size[1]});
  if (steps.repeat_to == 3)
    model::repeat_channels<1, 3>::apply(resized.view(),
                                        out.view().reshape(shape{images, 3, size[0], size[1]}));
  else
    std::copy_n(resized.data(), resized.size(), out.data());
  return out;
}

}  // namespace detail

// GTDM `zed_camera_left`: BGR frames (B, 3, H, W, 3) → (B, 3, 3, size).
[[nodiscard]] inline tensor gtdm_rgb(frames_view bgr, image_size size = gtdm::default_image_size,
                                     bool antialias = true) {
  return detail::frames_to_input("gtdm rgb frames", bgr, 3, size, antialias,
                                 {.minmax = true, .reverse_channels = true, .imagenet = true});
}

// GTDM `realsense_camera_depth`: grayscale frames (B, 3, H, W[, 1]) → (B, 3, 3, size).
[[nodiscard]] inline tensor gtdm_depth(frames_view gray, image_size size = gtdm::default_image_size,
                                       bool antialias = true) {
  return detail::frames_to_input("gtdm depth frames", gray, 1, size, antialias,
                                 {.minmax = true, .repeat_to = 3});
}

// AVE `image`: RGB frames (B, 8, H, W, 3) → (B, 8, 3, size).
[[nodiscard]] inline tensor ave_image(frames_view rgb, image_size size = ave::default_image_size,
                                      bool antialias = true) {
  return detail::frames_to_input("ave image frames", rgb, 3, size, antialias, {.imagenet = true});
}

// AVE `audio`: waveforms (B, samples), 16 kHz mono, → (B, 1, 1, size) with size = (mel bins,
// frames) of the audio backbone ((128, 1024) in ADMN).
[[nodiscard]] inline tensor ave_audio(waveform_view wave, double sample_rate = 16000.0,
                                      image_size size = ave::default_audio_size) {
  if (sample_rate != 16000.0)
    throw argument_error(
        "admn.raw.sample_rate",
        "ave audio: the sample rate must be 16000 Hz (resample first), got " + std::to_string(sample_rate));
  if (wave.rank() != 2) detail::fail_shape("admn.raw.rank", "ave audio", wave.shape(), "(B, samples) F32");
  if (wave.extent(0) == 0 || wave.extent(1) == 0)
    detail::fail_shape("admn.raw.empty", "ave audio", wave.shape(), "(B, samples) F32 with B, samples > 0");
  if (!wave.is_contiguous())
    throw argument_error("admn.raw.strided", "ave audio: the waveform must be contiguous");
  const model::ave_audio_frontend frontend(size[0], size[1]);
  const std::size_t b = wave.extent(0), samples = wave.extent(1);
  if (samples < frontend.min_samples())
    throw shape_error("admn.raw.audio_length", "ave audio: " + std::to_string(samples) +
                                                   " samples is shorter than one 25 ms frame (" +
                                                   std::to_string(frontend.min_samples()) + " samples)");
  for (std::size_t i = 0; i < wave.size(); ++i)
    if (!std::isfinite(wave.data()[i]))
      throw argument_error("admn.raw.non_finite", "ave audio: sample " + std::to_string(i % samples) +
                                                      " of waveform " + std::to_string(i / samples) +
                                                      " is not finite");
  tensor out(shape{b, 1, 1, size[0], size[1]});
  const std::size_t per = size[0] * size[1];
  for (std::size_t i = 0; i < b; ++i)
    frontend.apply(wave.data() + i * samples, samples,
                   mutable_view(out.data() + i * per, frontend.output_shape()));
  return out;
}

// MM-Fi `rgb`: RGB frames (B, 15, H, W, 3) → (B, 15, 3, size).
[[nodiscard]] inline tensor mmfi_rgb(frames_view rgb, image_size size = mmfi::default_image_size,
                                     bool antialias = true) {
  return detail::frames_to_input("mmfi rgb frames", rgb, 3, size, antialias, {.imagenet = true});
}

// MM-Fi `depth`: colourised depth frames, RGB (B, 15, H, W, 3) → (B, 15, 3, size).
[[nodiscard]] inline tensor mmfi_depth(frames_view rgb, image_size size = mmfi::default_image_size,
                                       bool antialias = true) {
  return detail::frames_to_input("mmfi depth frames", rgb, 3, size, antialias, {});
}

// ---- per-network raw inputs ----------------------------------------------------------------------

// One raw input tensor: 8-bit frames or a float waveform.
using raw_value = std::variant<frames_view, waveform_view>;

// Represents: how network type Net takes raw inputs: names() are the raw tensors' names (one per
// modality, in modality order: "<modality>.raw"), and run() turns them into the network's inputs.
// Defined for gtdm::network, ave::network and mmfi::network.
template <class Net>
struct pipeline;

namespace detail {

template <class View>
const View& as(const raw_value& v, std::string_view name, std::string_view dtype) {
  if (const auto* p = std::get_if<View>(&v)) return *p;
  throw argument_error("admn.raw.dtype",
                       "raw input '" + std::string(name) + "' must be " + std::string(dtype));
}

}  // namespace detail

template <>
struct pipeline<gtdm::network> {
  static constexpr std::array<std::string_view, 2> names{"zed_camera_left.raw", "realsense_camera_depth.raw"};
  // `config` gives the image sizes (config.modalities[m].image).
  static std::vector<tensor> run(std::span<const raw_value, 2> in, const model::network_config& config,
                                 bool antialias, double /*sample_rate*/ = 16000.0) {
    std::vector<tensor> out;
    out.push_back(
        gtdm_rgb(detail::as<frames_view>(in[0], names[0], "U8"), config.modalities.at(0).image, antialias));
    out.push_back(
        gtdm_depth(detail::as<frames_view>(in[1], names[1], "U8"), config.modalities.at(1).image, antialias));
    return out;
  }
};

template <>
struct pipeline<ave::network> {
  static constexpr std::array<std::string_view, 2> names{"image.raw", "audio.raw"};
  static std::vector<tensor> run(std::span<const raw_value, 2> in, const model::network_config& config,
                                 bool antialias, double sample_rate = 16000.0) {
    std::vector<tensor> out;
    out.push_back(
        ave_image(detail::as<frames_view>(in[0], names[0], "U8"), config.modalities.at(0).image, antialias));
    out.push_back(ave_audio(detail::as<waveform_view>(in[1], names[1], "F32"), sample_rate,
                            config.modalities.at(1).image));
    return out;
  }
};

template <>
struct pipeline<mmfi::network> {
  static constexpr std::array<std::string_view, 2> names{"rgb.raw", "depth.raw"};
  static std::vector<tensor> run(std::span<const raw_value, 2> in, const model::network_config& config,
                                 bool antialias, double /*sample_rate*/ = 16000.0) {
    std::vector<tensor> out;
    out.push_back(
        mmfi_rgb(detail::as<frames_view>(in[0], names[0], "U8"), config.modalities.at(0).image, antialias));
    out.push_back(
        mmfi_depth(detail::as<frames_view>(in[1], names[1], "U8"), config.modalities.at(1).image, antialias));
    return out;
  }
};

// True when network type Net has a raw pipeline.
template <class Net>
concept has_pipeline = requires {
  pipeline<Net>::names;
};

}  // namespace admn::zoo::raw
