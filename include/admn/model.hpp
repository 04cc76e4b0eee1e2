// admn/model.hpp — the model tier: backbones, controller, fusion, heads and the typed network.
#pragma once

#include <admn/model/adamtl.hpp>
#include <admn/model/components.hpp>
#include <admn/model/config_reader.hpp>
#include <admn/model/controller.hpp>
#include <admn/model/conv_encoder.hpp>
#include <admn/model/dynmm.hpp>
#include <admn/model/fixed_string.hpp>
#include <admn/model/fusion.hpp>
#include <admn/model/gate_policy.hpp>
#include <admn/model/gated_fusion.hpp>
#include <admn/model/heads.hpp>
#include <admn/model/modality.hpp>
#include <admn/model/network.hpp>
#include <admn/model/sample_groups.hpp>
#include <admn/model/summary_encoder.hpp>
#include <admn/model/transformer_encoder.hpp>
#include <admn/model/vit_backbone.hpp>
