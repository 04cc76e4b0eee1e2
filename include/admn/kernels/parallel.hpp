// admn/kernels/parallel.hpp — chunked parallel loops (with kernels/executor.hpp, the only
// headers that include oneTBB).
//
// Work is split into chunks whose boundaries depend only on the problem size,
// never on the number of threads, so every result is bit-identical whatever the
// thread count: a thread count changes who computes a chunk, not how.
// Threads come from the caller's arena: an admn::executor (kernels/executor.hpp).
#pragma once

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <cstddef>
#include <memory>
#include <type_traits>

namespace admn::kernels {

namespace detail {

// The loop of for_each_chunk behind one function pointer, so that its oneTBB code is
// compiled once per program: body(context, begin, end) for each chunk.
using chunk_body = void (*)(void* context, std::size_t begin, std::size_t end);

inline void run_chunks(std::size_t count, std::size_t chunk, chunk_body body, void* context) {
  if (count == 0) return;
  if (chunk == 0) chunk = 1;
  const std::size_t chunks = (count + chunk - 1) / chunk;
  if (chunks == 1 || oneapi::tbb::this_task_arena::max_concurrency() == 1) {
    for (std::size_t c = 0; c < chunks; ++c)
      body(context, c * chunk, c + 1 == chunks ? count : (c + 1) * chunk);
    return;
  }
  oneapi::tbb::parallel_for(
      oneapi::tbb::blocked_range<std::size_t>(0, chunks, 1),
      [&](const oneapi::tbb::blocked_range<std::size_t>& range) {
        for (std::size_t c = range.begin(); c != range.end(); ++c)
          body(context, c * chunk, c + 1 == chunks ? count : (c + 1) * chunk);
      },
      oneapi::tbb::simple_partitioner());
}

#ifdef ADMN_KERNELS_ISA_TU
// The per-level kernel translation units (kernels/isa/table.ipp) call run_chunks through this
// one, defined in kernels/isa/dispatch.cpp (no instruction-set flags): code they emit that is
// not specific to their level could otherwise be the copy the linker keeps for everyone.
void run_chunks_baseline(std::size_t count, std::size_t chunk, chunk_body body, void* context);
#endif

}  // namespace detail

// Calls fn(begin, end) for [0, count) cut into chunks of `chunk` items (the last
// may be shorter), in parallel when the arena has more than one thread.
template <class Fn>
void for_each_chunk(std::size_t count, std::size_t chunk, Fn&& fn) {
  using function = std::remove_reference_t<Fn>;
  const detail::chunk_body body = [](void* context, std::size_t begin, std::size_t end) {
    (*static_cast<function*>(context))(begin, end);
  };
  void* context = const_cast<void*>(static_cast<const volatile void*>(std::addressof(fn)));
#ifdef ADMN_KERNELS_ISA_TU
  detail::run_chunks_baseline(count, chunk, body, context);
#else
  detail::run_chunks(count, chunk, body, context);
#endif
}

// Runs fn() inside a fresh arena of `threads` threads (0 = all cores), built and torn
// down on every call: for tests and one-off calls. Programs hold an admn::executor
// (kernels/executor.hpp) and call its run() instead.
template <class Fn>
decltype(auto) with_threads(int threads, Fn&& fn) {
  oneapi::tbb::task_arena arena(threads > 0 ? threads : oneapi::tbb::task_arena::automatic);
  return arena.execute(fn);
}

}  // namespace admn::kernels
