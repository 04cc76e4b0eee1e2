// admn/fwd.hpp — forward declarations, cheap to include (no third-party headers).
#pragma once

#include <admn/version.hpp>

#include <cstdint>

namespace admn {

enum class dtype : std::uint8_t;
class shape;
template <class T>
class tensor_view;
using const_view = tensor_view<const float>;
using mutable_view = tensor_view<float>;
class tensor;

class error;
class load_error;
class format_error;
class shape_error;
class config_error;
class budget_error;
class argument_error;

}  // namespace admn
