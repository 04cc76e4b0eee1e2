// admn/models.hpp — the ADMN reference networks (GTDM, AVE, MM-Fi), the demo network (digits) and the arch
// registry.
#pragma once

#include <admn/models/ave.hpp>
#include <admn/models/digits.hpp>
#include <admn/models/gtdm.hpp>
#include <admn/models/mmfi.hpp>
#include <admn/models/registry.hpp>
