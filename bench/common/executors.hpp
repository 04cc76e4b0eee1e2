// executors.hpp — one admn::executor per thread count for the whole benchmark process,
// so every benchmark at a given thread count runs on the same persistent arena (as a
// program embedding admn would) instead of building one per call.
#pragma once

#include <admn/kernels/executor.hpp>

#include <map>
#include <memory>
#include <mutex>

namespace admn::bench {

inline const admn::executor& executor_for(int threads) {
  static std::mutex mutex;
  static std::map<int, std::unique_ptr<admn::executor>> executors;
  const std::lock_guard lock(mutex);
  auto& slot = executors[threads];
  if (!slot) slot = std::make_unique<admn::executor>(admn::executor_options{.threads = threads});
  return *slot;
}

}  // namespace admn::bench
