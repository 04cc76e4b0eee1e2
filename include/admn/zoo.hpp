// admn/zoo.hpp — ready-made networks: ADMN's (GTDM and its variants, AVE, MM-Fi), the demo network (digits),
// the arch registry and the networks' full-size shapes for cost accounting.
#pragma once

#include <admn/zoo/ave.hpp>
#include <admn/zoo/digits.hpp>
#include <admn/zoo/gtdm.hpp>
#include <admn/zoo/mmfi.hpp>
#include <admn/zoo/reference_shapes.hpp>
#include <admn/zoo/registry.hpp>
