// admn/io/detail/json.hpp — a strict, iterative JSON scanner for safetensors headers.
//
// Why not nlohmann-json here: the header is hostile input, and the format needs what a
// DOM parser does not give — duplicate keys rejected at every level (nlohmann keeps one),
// integers parsed from their exact digits, a nesting cap, header byte positions in every
// message, and memory that does not grow with values nobody reads. The scanner walks
// the text once; the caller pulls the values it wants and skips the rest.
//
// Grammar: RFC 8259, nothing more (no comments, trailing commas, single quotes, NaN,
// byte order mark); whitespace is space, tab, LF, CR. The text must already be valid
// UTF-8 (checked once, up front, for the whole header).
#pragma once

#include <admn/io/detail/text.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace admn::io::detail {

// A scanned JSON number: its text, and its value when it is a plain non-negative integer.
struct json_number {
  std::string_view text;
  bool plain_integer = false;  // digits only: no sign, fraction or exponent
  bool overflow = false;       // plain_integer but above UINT64_MAX
  std::uint64_t value = 0;     // valid when plain_integer && !overflow
};

// The keys of every object still open, to find duplicates when each object closes.
// Keys are compared after unescaping. Memory is released as objects close, so it never
// exceeds a small multiple of the header size.
class key_tracker {
 public:
  struct mark {
    std::size_t records;
    std::size_t arena;
  };

  [[nodiscard]] mark open() const noexcept { return {records_.size(), arena_.size()}; }

  void add(std::string_view key, std::size_t position) {
    records_.push_back({arena_.size(), key.size(), position});
    arena_.append(key);
  }

  // Throws duplicate_key naming the earliest repeated key, then forgets the object's keys.
  void close(mark m) {
    const auto first = records_.begin() + static_cast<std::ptrdiff_t>(m.records);
    if (records_.end() - first > 1) {
      const auto key = [this](const record& r) {
        return std::string_view(arena_).substr(r.offset, r.length);
      };
      std::sort(first, records_.end(), [&](const record& a, const record& b) {
        const int order = key(a).compare(key(b));
        return order != 0 ? order < 0 : a.position < b.position;
      });
      const record* repeat = nullptr;
      for (auto it = first + 1; it != records_.end(); ++it)
        if (key(*it) == key(*(it - 1)) && (repeat == nullptr || it->position < repeat->position))
          repeat = &*it;
      if (repeat != nullptr)
        fail_format("duplicate_key", "duplicate key " + quote_name(key(*repeat)) + " at header byte " +
                                         std::to_string(repeat->position));
    }
    records_.resize(m.records);
    arena_.resize(m.arena);
  }

 private:
  struct record {
    std::size_t offset;
    std::size_t length;
    std::size_t position;
  };
  std::vector<record> records_;
  std::string arena_;
};

class json_scanner {
 public:
  static constexpr int end_of_text = -1;

  json_scanner(std::string_view text, std::size_t max_depth) : text_(text), max_depth_(max_depth) {}

  [[nodiscard]] std::size_t position() const noexcept { return pos_; }
  [[nodiscard]] key_tracker& keys() noexcept { return keys_; }

  void skip_whitespace() noexcept {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  // The next non-whitespace byte (not consumed), or end_of_text.
  [[nodiscard]] int peek() noexcept {
    skip_whitespace();
    return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : end_of_text;
  }

  void expect(char c, const char* what) {
    if (peek() != static_cast<unsigned char>(c)) syntax_error(std::string("expected ") + what);
    ++pos_;
  }

  // Consumes `c` when it is next.
  bool accept(char c) noexcept {
    if (peek() != static_cast<unsigned char>(c)) return false;
    ++pos_;
    return true;
  }

  // Opening a container at `depth` (the top-level object is depth 1).
  void check_depth(std::size_t depth) const {
    if (depth > max_depth_)
      fail_format("json_too_deep", "nesting deeper than " + std::to_string(max_depth_) + " at header byte " +
                                       std::to_string(pos_));
  }

  // Reads a string at the cursor into `out` (unescaped, UTF-8).
  void read_string(std::string& out) {
    out.clear();
    if (peek() != '"') syntax_error("expected a string");
    ++pos_;
    for (;;) {
      // Copy the plain run up to the next quote, backslash or control character at once.
      std::size_t run = pos_;
      while (run < text_.size()) {
        const auto c = static_cast<unsigned char>(text_[run]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        ++run;
      }
      out.append(text_.substr(pos_, run - pos_));
      pos_ = run;
      if (pos_ >= text_.size()) syntax_error("unterminated string");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return;
      }
      if (c < 0x20) syntax_error("control character in a string (must be escaped)");
      read_escape(out);
    }
  }

  // Reads a key and its ':' inside an object; records the key for the duplicate check.
  void read_key(std::string& out) {
    skip_whitespace();
    const std::size_t at = pos_;
    if (peek() != '"') syntax_error("expected a string key");
    read_string(out);
    keys_.add(out, at);
    expect(':', "':' after a key");
  }

  [[nodiscard]] json_number read_number() {
    json_number number;
    skip_whitespace();
    const std::size_t start = pos_;
    bool negative = false;
    if (pos_ < text_.size() && text_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (pos_ < text_.size() && is_digit(text_[pos_])) {
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    } else {
      syntax_error("invalid number");
    }
    const std::size_t integer_end = pos_;
    bool fraction_or_exponent = false;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (pos_ >= text_.size() || !is_digit(text_[pos_]))
        syntax_error("invalid number: digits must follow '.'");
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      fraction_or_exponent = true;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !is_digit(text_[pos_]))
        syntax_error("invalid number: digits must follow 'e'");
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      fraction_or_exponent = true;
    }
    number.text = text_.substr(start, pos_ - start);
    check_number_range(number.text, start);
    number.plain_integer = !negative && !fraction_or_exponent;
    if (number.plain_integer) {
      for (std::size_t i = start; i < integer_end; ++i) {
        const auto digit = static_cast<std::uint64_t>(text_[i] - '0');
        if (number.value > (UINT64_MAX - digit) / 10) {
          number.overflow = true;
          break;
        }
        number.value = number.value * 10 + digit;
      }
    }
    return number;
  }

  // A number whose magnitude exceeds the largest double (1e999) has no value as a JSON
  // number: serde_json, and so the reference safetensors, rejects it ("number out of
  // range"); so does admn. Tiny magnitudes (1e-999) round to 0 there and are accepted.
  static void check_number_range(std::string_view text, std::size_t at) {
    double value = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc::result_out_of_range) return;
    // Out of range: overflow or underflow. The decimal exponent of the leading digit tells which.
    std::size_t i = text[0] == '-' ? 1 : 0;
    std::int64_t magnitude = -1;  // position of the leading non-zero digit, as a power of ten
    std::int64_t integer_digits = 0;
    bool seen = false, fraction = false;
    for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
      if (text[i] == '.') {
        fraction = true;
        continue;
      }
      if (!fraction) ++integer_digits;
      if (!seen && text[i] != '0') {
        seen = true;
        magnitude =
            fraction ? -(static_cast<std::int64_t>(i) - static_cast<std::int64_t>(text.find('.'))) : 0;
      }
    }
    if (seen && magnitude == 0) magnitude = integer_digits - 1;  // leading digit before the point
    std::int64_t exponent = 0;
    if (i < text.size()) {
      ++i;
      const bool minus = text[i] == '-';
      if (text[i] == '+' || text[i] == '-') ++i;
      for (; i < text.size() && exponent < 1'000'000'000; ++i) exponent = exponent * 10 + (text[i] - '0');
      if (minus) exponent = -exponent;
    }
    if (seen && magnitude + exponent > 0)
      fail_format("number_out_of_range", "number " + quote_name(text, 40) +
                                             " is out of the range of a double at header byte " +
                                             std::to_string(at));
  }

  // Reads true, false or null; returns the literal.
  std::string_view read_literal() {
    for (const std::string_view word :
         {std::string_view("true"), std::string_view("false"), std::string_view("null")})
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return word;
      }
    syntax_error("expected a value");
  }

  // Validates and skips one value whose container sits at `depth` (so a nested container
  // opens at depth + 1). Iterative, so hostile nesting costs no stack.
  void skip_value(std::size_t depth) {
    struct frame {
      bool object;
      key_tracker::mark keys;
    };
    std::vector<frame> stack;
    for (;;) {
      const int c = peek();
      if (c == '{' || c == '[') {
        check_depth(depth + stack.size() + 1);
        ++pos_;
        const bool object = c == '{';
        if (!accept(object ? '}' : ']')) {
          stack.push_back({object, keys_.open()});
          if (object) read_key(scratch_);
          continue;  // parse the first member's value
        }
      } else if (c == '"') {
        read_string(scratch_);
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        (void)read_number();
      } else if (c == 't' || c == 'f' || c == 'n') {
        (void)read_literal();
      } else {
        syntax_error("expected a value");
      }
      // A value is complete: close every container that ends here.
      for (;;) {
        if (stack.empty()) return;
        const frame& top = stack.back();
        if (accept(',')) {
          if (top.object) read_key(scratch_);
          break;
        }
        if (accept(top.object ? '}' : ']')) {
          if (top.object) keys_.close(top.keys);
          stack.pop_back();
          continue;
        }
        syntax_error(top.object ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }

  [[noreturn]] void syntax_error(const std::string& what) const {
    std::string found;
    if (pos_ >= text_.size()) {
      found = "end of header";
    } else {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      found = c >= 0x20 && c < 0x7f ? "'" + std::string(1, static_cast<char>(c)) + "'"
                                    : "byte " + std::to_string(static_cast<unsigned>(c));
    }
    fail_format("invalid_json", what + " at header byte " + std::to_string(pos_) + ", found " + found);
  }

 private:
  static constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

  [[nodiscard]] int hex_value(std::size_t at) const noexcept {
    if (at >= text_.size()) return -1;
    const char c = text_[at];
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Four hex digits at the cursor (after "\u").
  std::uint32_t read_hex4() {
    std::uint32_t value = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hex_value(pos_);
      if (h < 0) syntax_error("invalid \\u escape: four hex digits expected");
      value = value * 16 + static_cast<std::uint32_t>(h);
      ++pos_;
    }
    return value;
  }

  // At a backslash inside a string: decodes one escape into `out`.
  void read_escape(std::string& out) {
    ++pos_;
    if (pos_ >= text_.size()) syntax_error("unterminated string");
    const char e = text_[pos_];
    const char* simple = nullptr;
    switch (e) {
      case '"':
        simple = "\"";
        break;
      case '\\':
        simple = "\\";
        break;
      case '/':
        simple = "/";
        break;
      case 'b':
        simple = "\b";
        break;
      case 'f':
        simple = "\f";
        break;
      case 'n':
        simple = "\n";
        break;
      case 'r':
        simple = "\r";
        break;
      case 't':
        simple = "\t";
        break;
      case 'u':
        break;
      default:
        syntax_error("invalid escape in a string");
    }
    if (simple != nullptr) {
      out += *simple;
      ++pos_;
      return;
    }
    ++pos_;
    std::uint32_t code = read_hex4();
    if (code >= 0xdc00 && code <= 0xdfff) syntax_error("lone low surrogate in a \\u escape");
    if (code >= 0xd800 && code <= 0xdbff) {
      // A high surrogate must be followed at once by an escaped low surrogate.
      if (text_.substr(pos_, 2) != "\\u") syntax_error("lone high surrogate in a \\u escape");
      pos_ += 2;
      const std::uint32_t low = read_hex4();
      if (low < 0xdc00 || low > 0xdfff) syntax_error("high surrogate not followed by a low surrogate");
      code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
    }
    append_utf8(out, code);
  }

  static void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t max_depth_;
  key_tracker keys_;
  std::string scratch_;
};

}  // namespace admn::io::detail
