// admn/error.hpp — the typed exceptions thrown on bad input.
//
// Every message starts with a stable id in brackets, then names the offending
// key or value:  "[admn.load.shape] tensor 'vision.norm.weight': expected [768], got [384]".
// Callers may match on the id (error::id()) or on the subclass; ids never change
// once released. Bugs inside admn are not errors of this kind: they are caught by
// ADMN_ASSERT in debug builds (admn/detail/assert.hpp).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace admn {

// Base of everything admn throws on bad input.
class error : public std::runtime_error {
 public:
  // id: dotted stable identifier without brackets, e.g. "admn.load.shape".
  error(std::string_view id, std::string_view detail) : std::runtime_error(compose(id, detail)), id_(id) {}

  // The stable identifier, e.g. "admn.load.shape".
  [[nodiscard]] const std::string& id() const noexcept { return id_; }

 private:
  static std::string compose(std::string_view id, std::string_view detail) {
    std::string message;
    message.reserve(id.size() + detail.size() + 3);
    message.append("[").append(id).append("] ").append(detail);
    return message;
  }

  std::string id_;
};

// A file could not be opened, read or mapped, or a weight is missing/mismatched.
class load_error : public error {
  using error::error;
};

// Bytes that violate a file format (safetensors header, layout, dtype names).
class format_error : public error {
  using error::error;
};

// Tensor shapes that do not fit together or overflow.
class shape_error : public error {
  using error::error;
};

// A model configuration that is inconsistent or incomplete.
class config_error : public error {
  using error::error;
};

// A layer budget or plan outside its rules.
class budget_error : public error {
  using error::error;
};

// A bad argument to a public function or a command-line tool.
class argument_error : public error {
  using error::error;
};

}  // namespace admn
