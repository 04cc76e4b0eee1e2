// admn/tensor/scratch_memory.hpp — the memory under a workspace.
//
// Scratch blocks are mapped straight from the operating system: pages a run never
// writes never become resident, and a freed block goes back at once. Through malloc,
// freed blocks would stay in its heap (glibc raises its mmap threshold after each
// large free) and the peak would grow: +19 MiB on the full-size GTDM run, measured.
// So address space is cheap, and a workspace's first chunk is at least
// `scratch_chunk_floats` (256 MiB of it): any run up to that size stays in one
// contiguous chunk and touches no more pages than its high water, where chained
// chunks would leave untouched-then-touched tails (+9 MiB on that run, measured).
// Under AddressSanitizer blocks come from the heap instead, exactly sized, so each has
// redzones and a buffer overrun is caught.
#pragma once

#include <admn/tensor/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define ADMN_DETAIL_HEAP_SCRATCH 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ADMN_DETAIL_HEAP_SCRATCH 1
#endif
#endif

namespace admn::detail {

#ifdef ADMN_DETAIL_HEAP_SCRATCH
inline constexpr std::size_t scratch_chunk_floats = 0;
#else
inline constexpr std::size_t scratch_chunk_floats = std::size_t{64} << 20;
#endif

// `floats` floats, 64-byte aligned, contents unspecified; empty when the memory is not there.
class scratch_block {
 public:
  scratch_block() = default;
  explicit scratch_block(std::size_t floats) noexcept {
    if (floats == 0 || floats > SIZE_MAX / sizeof(float)) return;
    const std::size_t bytes = floats * sizeof(float);
#ifdef ADMN_DETAIL_HEAP_SCRATCH
    // The throwing form: AddressSanitizer's runtime pairs it with the aligned delete below.
    try {
      data_ = static_cast<float*>(::operator new[](bytes, std::align_val_t{tensor_alignment}));
    } catch (const std::bad_alloc&) {
      data_ = nullptr;
    }
#else
    void* p =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    data_ = p == MAP_FAILED ? nullptr : static_cast<float*>(p);
#endif
    if (data_ != nullptr) floats_ = floats;
  }
  scratch_block(scratch_block&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), floats_(std::exchange(other.floats_, 0)) {}
  scratch_block& operator=(scratch_block&& other) noexcept {
    if (this != &other) {
      free();
      data_ = std::exchange(other.data_, nullptr);
      floats_ = std::exchange(other.floats_, 0);
    }
    return *this;
  }
  scratch_block(const scratch_block&) = delete;
  scratch_block& operator=(const scratch_block&) = delete;
  ~scratch_block() { free(); }

  [[nodiscard]] float* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return floats_; }
  [[nodiscard]] explicit operator bool() const noexcept { return data_ != nullptr; }

 private:
  void free() noexcept {
    if (data_ == nullptr) return;
#ifdef ADMN_DETAIL_HEAP_SCRATCH
    ::operator delete[](data_, std::align_val_t{tensor_alignment});
#else
    ::munmap(data_, floats_ * sizeof(float));
#endif
    data_ = nullptr;
    floats_ = 0;
  }

  float* data_ = nullptr;
  std::size_t floats_ = 0;
};

}  // namespace admn::detail
