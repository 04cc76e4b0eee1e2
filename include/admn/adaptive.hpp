// admn/adaptive.hpp — the adaptive vocabulary: layer masks and plans, budgets, selectors.
#pragma once

#include <admn/adaptive/budget.hpp>
#include <admn/adaptive/layer_mask.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/adaptive/top_l.hpp>
