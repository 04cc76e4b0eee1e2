// admn/layers.hpp — the layer tier: weight-holding layers bound by PyTorch key names.
#pragma once

#include <admn/layers/attention.hpp>
#include <admn/layers/batch_norm2d.hpp>
#include <admn/layers/conv2d.hpp>
#include <admn/layers/encoder_block.hpp>
#include <admn/layers/layer_norm.hpp>
#include <admn/layers/linear.hpp>
#include <admn/layers/max_pool2d.hpp>
#include <admn/layers/mlp.hpp>
#include <admn/layers/patch_embed.hpp>
#include <admn/layers/position_embedding.hpp>
