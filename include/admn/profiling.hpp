// admn/profiling.hpp — measuring a whole network on this host: the latency profile behind
// latency budgets (admn-run --latency-budget), cached as a JSON file per network and machine.
#pragma once

#include <admn/profiling/latency_profile.hpp>
