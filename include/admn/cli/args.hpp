// admn/cli/args.hpp — what admn's command-line programs share: reading flags and counts,
// timing a call, and the exit convention (bad input prints its [admn.…] message on stderr,
// prefixed by the program's name, and exits 1).
#pragma once

#include <admn/error.hpp>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace admn::cli {

// `text` as a non-negative integer, exactly; throws argument_error [admn.cli.value]
// "<flag> needs <what>, got '<text>'".
inline std::size_t parse_count(std::string_view flag, std::string_view text,
                               std::string_view what = "a non-negative integer") {
  std::size_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    throw argument_error("admn.cli.value", std::string(flag) + " needs " + std::string(what) + ", got '" +
                                               std::string(text) + "'");
  return value;
}

// A comma-separated list of non-negative integers ("4,6,8"), each as parse_count.
inline std::vector<std::size_t> parse_counts(
    std::string_view flag, std::string_view text,
    std::string_view what = "comma-separated non-negative integers") {
  std::vector<std::size_t> out;
  for (std::size_t begin = 0;;) {
    const std::size_t comma = text.find(',', begin);
    const std::string_view item =
        text.substr(begin, comma == std::string_view::npos ? text.npos : comma - begin);
    if (item.empty())
      throw argument_error("admn.cli.value", std::string(flag) + " needs " + std::string(what) + ", got '" +
                                                 std::string(text) + "'");
    out.push_back(parse_count(flag, item, what));
    if (comma == std::string_view::npos) return out;
    begin = comma + 1;
  }
}

// `text` as a finite number in (0, max]; throws argument_error [admn.cli.value].
inline double parse_positive(std::string_view flag, std::string_view text, double max = 1e9) {
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !(value > 0.0) ||
      !(value <= max))
    throw argument_error("admn.cli.value",
                         std::string(flag) + " needs a positive number, got '" + std::string(text) + "'");
  return value;
}

// The value after the flag argv[i], which it consumes (++i); throws argument_error
// [admn.cli.missing_value] when the flag is the last argument.
inline std::string_view flag_value(int argc, char** argv, int& i) {
  if (i + 1 >= argc) throw argument_error("admn.cli.missing_value", std::string(argv[i]) + " needs a value");
  return argv[++i];
}

// The error for an argument no flag matches: argument_error [admn.cli.unknown_flag].
inline argument_error unknown_flag(std::string_view flag) {
  return argument_error("admn.cli.unknown_flag", "unknown argument '" + std::string(flag) + "'");
}

// Wall time of one call of fn(), in milliseconds.
template <class Fn>
double elapsed_ms(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// main()'s body: fn()'s exit status; an admn::error prints "<program>: [id] …" and a
// std::exception (a bug, not bad input) "<program>: [admn.internal] …", both exit 1.
template <class Fn>
int guarded_main(const char* program, Fn&& fn) {
  try {
    return fn();
  } catch (const error& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: [admn.internal] %s\n", program, e.what());
    return 1;
  }
}

}  // namespace admn::cli
