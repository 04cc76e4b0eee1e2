// admn/admn.hpp — everything. Include a tier header (admn/tensor.hpp, …) to
// compile less, or admn/fwd.hpp for declarations only.
#pragma once

#include <admn/error.hpp>
#include <admn/tensor.hpp>
