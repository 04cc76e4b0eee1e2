// admn/io/safetensors.hpp — reading safetensors files: validated before any tensor byte is used.
//
//   auto file = admn::io::safetensors_file::open("model.safetensors");
//   for (const auto& name : file.keys()) { auto t = file.tensor(name); ... }
//   std::vector<float> w(file.info("head.weight").element_count());
//   file.tensor("head.weight").to_f32(w);
//
// open() checks the length prefix, the whole header and the layout (format.hpp lists the
// rules and the error ids) before it maps or reads a single data byte, and never
// allocates from a size the header declares: the read backend reads the data section
// only once the layout proves that many bytes exist. Parsing memory grows with the
// header's actual length only (bounded by max_header_bytes). Values are not validated:
// NaNs and odd bit patterns load as stored.
//
// A safetensors_file is immutable; all const members are safe to call from many threads.
// Moving it keeps every tensor_data and tensor_info reference valid.
#pragma once

#include <admn/detail/assert.hpp>
#include <admn/error.hpp>
#include <admn/io/detail/convert.hpp>
#include <admn/io/detail/header.hpp>
#include <admn/io/detail/posix.hpp>
#include <admn/io/detail/text.hpp>
#include <admn/io/file_kind.hpp>
#include <admn/io/format.hpp>
#include <admn/tensor/dtype.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace admn::io {

// A view of one tensor's bytes inside a safetensors_file; valid while the file lives.
class tensor_data {
 public:
  tensor_data(const tensor_info& info, std::span<const std::byte> bytes) noexcept
      : info_(&info), bytes_(bytes) {}

  [[nodiscard]] admn::dtype dtype() const noexcept { return info_->type; }
  [[nodiscard]] std::span<const std::uint64_t> shape() const noexcept { return info_->shape; }
  [[nodiscard]] const std::string& name() const noexcept { return info_->name; }
  [[nodiscard]] const tensor_info& info() const noexcept { return *info_; }
  [[nodiscard]] std::uint64_t element_count() const noexcept { return info_->element_count(); }
  // The stored little-endian bytes, exactly END − BEGIN of them.
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return bytes_; }

  // A zero-copy typed view, when the dtype matches T and the bytes are aligned for T;
  // nullopt otherwise (then copy, or use to_f32()). T ↔ dtype:
  //   float F32, double F64, std::complex<float> C64, std::int8_t I8, std::uint8_t U8,
  //   std::int16_t I16, std::int32_t I32, std::int64_t I64, std::uint32_t U32,
  //   std::uint64_t U64, and std::uint16_t for U16 and for the raw bit patterns of F16
  //   and BF16 (widen them with admn::f16_to_f32 / bf16_to_f32).
  // BOOL, the F8 types and the sub-byte types have no typed view: use bytes().
  template <class T>
  [[nodiscard]] std::optional<std::span<const T>> as() const noexcept {
    if (!detail::view_type_matches<T>(info_->type)) return std::nullopt;
    if (reinterpret_cast<std::uintptr_t>(bytes_.data()) % alignof(T) != 0) return std::nullopt;
    return std::span<const T>(reinterpret_cast<const T*>(bytes_.data()), bytes_.size() / sizeof(T));
  }

  // Widens every element into `out` (row-major, as stored), from any alignment.
  // Supported: F32, F64 (rounded to nearest), F16, BF16 (exact), the F8 types (exact),
  // integers and BOOL (as 0/1; large integers round to nearest f32).
  // Throws argument_error [admn.safetensors.output_size] when out.size() differs from
  // the element count, format_error [admn.safetensors.unsupported_dtype] for C64, F4, F6_*.
  void to_f32(std::span<float> out) const {
    if (!detail::converts_to_f32(info_->type))
      throw format_error("admn.safetensors.unsupported_dtype",
                         "tensor " + detail::quote_name(info_->name) + ": " +
                             std::string(dtype_name(info_->type)) + " has no conversion to F32");
    const std::uint64_t count = element_count();
    if (out.size() != count)
      throw argument_error("admn.safetensors.output_size",
                           "tensor " + detail::quote_name(info_->name) + " has " + std::to_string(count) +
                               " elements, the output holds " + std::to_string(out.size()));
    detail::to_f32(info_->type, bytes_.data(), out.data(), out.size());
  }

 private:
  const tensor_info* info_;
  std::span<const std::byte> bytes_;
};

class safetensors_file {
 public:
  // Opens and validates `path` with the backend in `options`. Throws format_error with
  // an admn.safetensors.* id for a malformed file, load_error [admn.safetensors.io] when
  // the file cannot be opened, read or mapped (or is not a regular file).
  // mmap caveat: a file truncated by another process while mapped faults on access
  // (SIGBUS), as for every mapping; use backend::read for files that may change.
  // A file that is recognisably something else (a PyTorch checkpoint, text, empty:
  // io/file_kind.hpp) keeps its error id, and the message says what the file is.
  [[nodiscard]] static safetensors_file open(const std::filesystem::path& path,
                                             const open_options& options = {}) {
    try {
      return open_unexplained(path, options);
    } catch (const format_error& e) {
      static constexpr std::string_view header_ids[] = {
          "admn.safetensors.file_too_small", "admn.safetensors.header_too_large",
          "admn.safetensors.header_out_of_bounds", "admn.safetensors.invalid_utf8",
          "admn.safetensors.invalid_json"};
      if (std::find(std::begin(header_ids), std::end(header_ids), e.id()) == std::end(header_ids)) throw;
      const std::string reason = not_safetensors_reason(path, file_kind_of(path));
      if (reason.empty()) throw;
      const std::string_view detail = std::string_view(e.what()).substr(e.id().size() + 3);  // after "[id] "
      throw format_error(e.id(), std::string(detail) + " (" + reason + ")");
    }
  }

 private:
  [[nodiscard]] static safetensors_file open_unexplained(const std::filesystem::path& path,
                                                         const open_options& options) {
    std::uint64_t size = 0;
    const detail::file_descriptor fd = detail::open_regular(path, size);
    safetensors_file file;
    file.file_size_ = size;
    if (options.backend == backend::mmap) {
      if (size < detail::length_prefix_bytes) (void)detail::check_length_prefix({}, size, options);
      auto map = std::make_shared<const detail::mapping>(fd.get(), static_cast<std::size_t>(size), path);
      file.adopt(map->bytes(), options);
      file.mapping_ = map.get();
      file.owner_ = std::move(map);
      return file;
    }
    std::array<std::byte, detail::length_prefix_bytes> prefix{};
    if (size >= prefix.size()) detail::read_exact(fd.get(), prefix, 0, path);
    const std::uint64_t n = detail::check_length_prefix(prefix, size, options);
    std::string header(static_cast<std::size_t>(n), '\0');  // n ≤ max_header_bytes and ≤ the file
    detail::read_exact(fd.get(), std::as_writable_bytes(std::span(header)), detail::length_prefix_bytes,
                       path);
    file.set_header(n, header, size, options);
    auto data = detail::aligned_bytes(static_cast<std::size_t>(file.data_bytes_));
    detail::read_exact(fd.get(), std::span(data.get(), static_cast<std::size_t>(file.data_bytes_)),
                       detail::length_prefix_bytes + n, path);
    file.data_ = std::span<const std::byte>(data.get(), static_cast<std::size_t>(file.data_bytes_));
    file.owner_ = std::move(data);
    return file;
  }

 public:
  // Validates `bytes` (a whole file) and copies the data section into owned, 64-byte
  // aligned memory: the caller may free `bytes` afterwards. open_options::backend is unused.
  [[nodiscard]] static safetensors_file from_bytes(std::span<const std::byte> bytes,
                                                   const open_options& options = {}) {
    safetensors_file file;
    file.adopt(bytes, options);  // validates before copying anything
    auto data = detail::aligned_bytes(file.data_.size());
    if (!file.data_.empty()) std::memcpy(data.get(), file.data_.data(), file.data_.size());
    file.data_ = std::span<const std::byte>(data.get(), file.data_.size());
    file.owner_ = std::move(data);
    return file;
  }

  // Validates `bytes` and views them without copying: the caller keeps them alive and
  // unchanged for as long as the file (and any tensor_data from it) is used.
  [[nodiscard]] static safetensors_file borrow(std::span<const std::byte> bytes,
                                               const open_options& options = {}) {
    safetensors_file file;
    file.adopt(bytes, options);
    return file;
  }

  // Tensor names sorted bytewise (std::string order).
  [[nodiscard]] std::vector<std::string> keys() const {
    std::vector<std::string> out;
    out.reserve(tensors_.size());
    for (const auto& t : tensors_) out.push_back(t.name);
    return out;
  }
  // Tensor names in file order: sorted by data offset (ties: by end, then name).
  [[nodiscard]] std::vector<std::string> offset_keys() const {
    std::vector<std::string> out;
    out.reserve(by_offset_.size());
    for (const std::size_t i : by_offset_) out.push_back(tensors_[i].name);
    return out;
  }
  // Every tensor's info, sorted by name.
  [[nodiscard]] std::span<const tensor_info> tensors() const noexcept { return tensors_; }

  // nullopt when the header has no "__metadata__" or it is null; an empty map for "{}".
  [[nodiscard]] const std::optional<std::map<std::string, std::string>>& metadata() const noexcept {
    return metadata_;
  }

  [[nodiscard]] bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }

  // The tensor's info, or nullptr when absent.
  [[nodiscard]] const tensor_info* find(std::string_view name) const noexcept {
    const auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                                     [](const tensor_info& t, std::string_view n) { return t.name < n; });
    return it != tensors_.end() && it->name == name ? &*it : nullptr;
  }

  // Throws load_error [admn.safetensors.missing_tensor] naming the key.
  [[nodiscard]] const tensor_info& info(std::string_view name) const {
    const tensor_info* found = find(name);
    if (found == nullptr)
      throw load_error("admn.safetensors.missing_tensor",
                       "no tensor " + detail::quote_name(name) + " in the file");
    return *found;
  }

  // Throws load_error [admn.safetensors.missing_tensor] naming the key.
  [[nodiscard]] tensor_data tensor(std::string_view name) const { return view(info(name)); }
  // The bytes of `t`, which must come from this file's tensors().
  [[nodiscard]] tensor_data view(const tensor_info& t) const noexcept {
    ADMN_ASSERT(&t >= tensors_.data() && &t < tensors_.data() + tensors_.size());
    return tensor_data(
        t, data_.subspan(static_cast<std::size_t>(t.begin), static_cast<std::size_t>(t.byte_size())));
  }

  // Residency hint once `t` (from this file's tensors()) has been copied out: with the
  // mmap backend, drops the whole pages inside its bytes from the process's resident set
  // (they stay in the page cache; a later read of the tensor faults them back, with the
  // same bytes). Owned and borrowed bytes are left alone. Safe to call from many threads,
  // also while other tensors are read.
  void release(const tensor_info& t) const noexcept {
    ADMN_ASSERT(&t >= tensors_.data() && &t < tensors_.data() + tensors_.size());
    if (mapping_ == nullptr || t.byte_size() == 0) return;
    const auto offset =
        static_cast<std::size_t>(data_.data() - mapping_->bytes().data()) + static_cast<std::size_t>(t.begin);
    mapping_->release(offset, static_cast<std::size_t>(t.byte_size()));
  }
  // True when the data are a mapping of the file (the mmap backend).
  [[nodiscard]] bool mapped() const noexcept { return mapping_ != nullptr; }

  [[nodiscard]] std::size_t size() const noexcept { return tensors_.size(); }
  // N: the header's length in bytes, without the 8-byte length prefix.
  [[nodiscard]] std::uint64_t header_size() const noexcept { return header_size_; }
  // The whole file's (or byte span's) length, trailing bytes included.
  [[nodiscard]] std::uint64_t file_size() const noexcept { return file_size_; }
  // File offset of the data section: 8 + N.
  [[nodiscard]] std::uint64_t data_offset() const noexcept {
    return detail::length_prefix_bytes + header_size_;
  }
  // Bytes the tensors occupy: the last data offset END (file_size − data_offset() unless
  // trailing bytes were allowed).
  [[nodiscard]] std::uint64_t data_size() const noexcept { return data_bytes_; }

 private:
  safetensors_file() = default;

  // Validates a whole file held in memory and points data_ at its data section.
  void adopt(std::span<const std::byte> bytes, const open_options& options) {
    file_size_ = bytes.size();
    const std::uint64_t n = detail::check_length_prefix(bytes, bytes.size(), options);
    const auto header = bytes.subspan(detail::length_prefix_bytes, static_cast<std::size_t>(n));
    set_header(n, std::string_view(reinterpret_cast<const char*>(header.data()), header.size()), bytes.size(),
               options);
    data_ = bytes.subspan(static_cast<std::size_t>(detail::length_prefix_bytes + n),
                          static_cast<std::size_t>(data_bytes_));
  }

  void set_header(std::uint64_t n, std::string_view header, std::uint64_t file_size,
                  const open_options& options) {
    detail::parsed_header parsed =
        detail::parse_header(header, file_size - detail::length_prefix_bytes - n, options);
    header_size_ = n;
    data_bytes_ = parsed.data_bytes;
    tensors_ = std::move(parsed.tensors);
    by_offset_ = std::move(parsed.by_offset);
    metadata_ = std::move(parsed.metadata);
  }

  std::shared_ptr<const void> owner_;         // the mapping or owned buffer; null when borrowed
  const detail::mapping* mapping_ = nullptr;  // owner_'s mapping (mmap backend), else null
  std::span<const std::byte> data_;           // the validated data section: [0, data_bytes_)
  std::vector<tensor_info> tensors_;
  std::vector<std::size_t> by_offset_;
  std::optional<std::map<std::string, std::string>> metadata_;
  std::uint64_t header_size_ = 0;
  std::uint64_t file_size_ = 0;
  std::uint64_t data_bytes_ = 0;
};

}  // namespace admn::io
