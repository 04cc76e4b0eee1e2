// admn/admn.hpp — everything. Include a tier header (admn/tensor.hpp, admn/io.hpp,
// admn/kernels.hpp, admn/layers.hpp, admn/model.hpp, admn/adaptive.hpp,
// admn/zoo.hpp, admn/profiling.hpp, admn/cli.hpp) to compile less, or admn/fwd.hpp for declarations only.
#pragma once

#include <admn/adaptive.hpp>
#include <admn/cli.hpp>
#include <admn/error.hpp>
#include <admn/io.hpp>
#include <admn/kernels.hpp>
#include <admn/layers.hpp>
#include <admn/model.hpp>
#include <admn/profiling.hpp>
#include <admn/tensor.hpp>
#include <admn/version.hpp>
#include <admn/zoo.hpp>
