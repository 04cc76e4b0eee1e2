// admn/model/fixed_string.hpp — a string usable as a template argument.
//
// Lets a modality carry its name in its type: modality<"rgb", …>. The name is the
// input tensor's name and the controller's encoder key (encoder_dict.<name>).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace admn::model {

template <std::size_t N>
struct fixed_string {
  char value[N]{};

  // NOLINTNEXTLINE(google-explicit-constructor): used as `modality<"rgb", …>`.
  constexpr fixed_string(const char (&text)[N]) noexcept { std::copy_n(text, N, value); }

  [[nodiscard]] constexpr std::string_view view() const noexcept { return {value, N - 1}; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return N - 1; }

  template <std::size_t M>
  [[nodiscard]] constexpr bool operator==(const fixed_string<M>& other) const noexcept {
    return view() == other.view();
  }
};

}  // namespace admn::model
