// memory.hpp — admn/cli/memory.hpp's resident-memory figures under the names admn-bench uses.
#pragma once

#include <admn/cli/memory.hpp>

namespace admn::examples {

using cli::resident;
using cli::resident_memory;

}  // namespace admn::examples
