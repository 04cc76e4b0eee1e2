// admn/adaptive.hpp — the adaptive vocabulary: layer masks and plans, budgets, selectors.
#pragma once

#include <admn/adaptive/budget.hpp>
#include <admn/adaptive/cost.hpp>
#include <admn/adaptive/execution_order.hpp>
#include <admn/adaptive/index_list.hpp>
#include <admn/adaptive/layer_mask.hpp>
#include <admn/adaptive/layer_plan.hpp>
#include <admn/adaptive/layerdrop.hpp>
#include <admn/adaptive/planner.hpp>
#include <admn/adaptive/static_plan.hpp>
#include <admn/adaptive/top_l.hpp>
#include <admn/adaptive/unequal_top_l.hpp>
