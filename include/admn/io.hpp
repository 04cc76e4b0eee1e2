// admn/io.hpp — the I/O tier: safetensors reading (mmap and read backends), writing,
// and weight binding by checkpoint key. Depends on the tensor tier only.
#pragma once

#include <admn/io/file_kind.hpp>
#include <admn/io/format.hpp>
#include <admn/io/safetensors.hpp>
#include <admn/io/weight_source.hpp>
#include <admn/io/writer.hpp>
