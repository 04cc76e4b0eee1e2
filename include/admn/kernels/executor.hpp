// admn/kernels/executor.hpp — the threads admn computes on, as an object the caller owns.
//
//   admn::executor ex({.threads = 2});                 // once, at start-up
//   auto result = ex.run([&] { return net.run(inputs, {.budget = 8}, ws); });
//   ex.run([&] { model = admn::model::load<net>(weights, config); });   // packs on these threads too
//
// An executor is a persistent oneTBB task arena of `threads` slots (0: one per core the
// process may run on). Every parallel kernel called inside run() splits its work over
// that arena's threads and no others; outside any run(), kernels use oneTBB's default
// arena (all cores). Keep one executor per thread count for the life of the program
// instead of building an arena per call (kernels::with_threads does): the arena, its
// slots and its pinning are set up once.
//
// pin = true binds the thread in slot i of the arena to the i-th CPU of the process's
// affinity mask while it works in the arena (and restores its mask when it leaves), so
// that two executors, or an executor and another library's threads, can be kept on
// disjoint cores: e.g. {.threads = 2, .pin = true, .first_cpu = 2} uses the 3rd and 4th
// allowed CPUs. Pinning is Linux-only (sched_setaffinity); elsewhere it is ignored.
//
// Results do not depend on the executor: kernels cut work into chunks fixed by the
// problem size (kernels/parallel.hpp), so any thread count gives bit-identical results.
// run() may be called from several threads at once (they share the arena's slots) and
// may nest (a run() inside a run() of another executor uses the inner one).
//
// This header and kernels/parallel.hpp are the only ones that include oneTBB.
#pragma once

#include <admn/error.hpp>

#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_scheduler_observer.h>

#if defined(__linux__)
#include <sched.h>
#endif

#include <memory>
#include <string>
#include <utility>

namespace admn::kernels {

struct executor_options {
  int threads = 0;    // threads of the arena, 1 to 1024; 0: one per CPU the process may use
  bool pin = false;   // bind slot i to allowed CPU first_cpu + i (Linux)
  int first_cpu = 0;  // with pin: the first allowed CPU (index into the affinity mask) to use
};

class executor {
 public:
  // Throws argument_error [admn.executor.threads] for a thread count outside [0, 1024] and
  // [admn.executor.cpu] for a negative first_cpu.
  explicit executor(const executor_options& options = {}) : options_(options) {
    if (options.threads < 0 || options.threads > 1024)
      throw argument_error("admn.executor.threads", "an executor takes 0 (all cores) to 1024 threads, got " +
                                                        std::to_string(options.threads));
    if (options.first_cpu < 0)
      throw argument_error("admn.executor.cpu",
                           "first_cpu must be ≥ 0, got " + std::to_string(options.first_cpu));
    // int{…}: a value, not a reference to TBB's constant (which has no out-of-class definition).
    arena_ = std::make_unique<oneapi::tbb::task_arena>(
        options.threads > 0 ? options.threads : int{oneapi::tbb::task_arena::automatic});
    arena_->initialize();
#if defined(__linux__)
    if (options.pin) pinning_ = std::make_unique<pinner>(*arena_, options.first_cpu);
#endif
  }
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  // Calls fn() with this executor's threads and returns its result; exceptions propagate.
  template <class Fn>
  decltype(auto) run(Fn&& fn) const {
    return arena_->execute(std::forward<Fn>(fn));
  }

  // The arena's thread count (the calling thread included).
  [[nodiscard]] int threads() const { return arena_->max_concurrency(); }
  [[nodiscard]] const executor_options& options() const noexcept { return options_; }

 private:
#if defined(__linux__)
  // Pins threads entering the arena to one allowed CPU per slot; restores on exit.
  class pinner : public oneapi::tbb::task_scheduler_observer {
   public:
    pinner(oneapi::tbb::task_arena& arena, int first_cpu)
        : task_scheduler_observer(arena), first_(first_cpu) {
      CPU_ZERO(&allowed_);
      if (::sched_getaffinity(0, sizeof allowed_, &allowed_) != 0) CPU_ZERO(&allowed_);
      observe(true);
    }
    ~pinner() override { observe(false); }

    void on_scheduler_entry(bool) override {
      const int cpu = nth_allowed(first_ + oneapi::tbb::this_task_arena::current_thread_index());
      if (cpu < 0) return;
      cpu_set_t& saved = saved_mask();
      if (::sched_getaffinity(0, sizeof saved, &saved) != 0) return;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      (void)::sched_setaffinity(0, sizeof one, &one);  // best effort: a refusal leaves it unpinned
    }
    void on_scheduler_exit(bool) override {
      const cpu_set_t& saved = saved_mask();
      if (CPU_COUNT(&saved) > 0) (void)::sched_setaffinity(0, sizeof saved, &saved);
    }

   private:
    // The mask a thread had before it was pinned (one per thread: threads pin themselves).
    static cpu_set_t& saved_mask() {
      thread_local cpu_set_t saved{};
      return saved;
    }
    // The index-th CPU of the process's allowed set (wrapping around), or −1 when none.
    [[nodiscard]] int nth_allowed(int index) const noexcept {
      const int count = CPU_COUNT(&allowed_);
      if (count == 0 || index < 0) return -1;
      int left = index % count;
      for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &allowed_) && left-- == 0) return cpu;
      return -1;
    }

    cpu_set_t allowed_;
    int first_;
  };
#endif
  executor_options options_;
  std::unique_ptr<oneapi::tbb::task_arena> arena_;
#if defined(__linux__)
  std::unique_ptr<pinner> pinning_;  // declared after the arena: stops observing before it goes
#endif
};

}  // namespace admn::kernels

namespace admn {
using kernels::executor;
using kernels::executor_options;
}  // namespace admn
