// admn/adaptive/index_list.hpp — the lists inside the plan and order text forms.
//
//   "3,0,2"     block indices, comma-separated, "" = none  (execution_order, layer_plan parts)
//   "0,1;2"     one part per modality, ';'-separated       (layer_plan, ordered_plan, static_plan)
// Errors are argument_errors under the caller's id that quote the whole text:
//   <noun> '<text>': '<item>' is not a block index       an item that is not a non-negative integer
//   <noun> '<text>' has a trailing comma
//   <noun> '<text>' lists more than N modalities
//   <noun> '<text>' lists m modalities, the network has N
#pragma once

#include <admn/error.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace admn::adaptive {

// How an error names the text being parsed: "[<id>] <noun> '<text>'…".
struct text_context {
  std::string_view id;    // e.g. "admn.plan.parse"
  std::string_view noun;  // e.g. "plan", "execution order"
  std::string_view text;  // the whole text the list is a part of
};

// `item` as a non-negative integer, exactly (no sign, space or suffix); throws
// "<noun> '<text>': '<item>' is not <what>".
[[nodiscard]] inline std::size_t parse_number(std::string_view item, const text_context& where,
                                              std::string_view what = "a block index") {
  std::size_t value = 0;
  const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
  if (item.empty() || ec != std::errc() || ptr != item.data() + item.size())
    throw argument_error(where.id, std::string(where.noun) + " '" + std::string(where.text) + "': '" +
                                       std::string(item) + "' is not " + std::string(what));
  return value;
}

// Calls on_index(i) for each comma-separated block index of `list`, in order, and
// stops at the first error, its own or one on_index throws. "" lists no index; an
// empty item inside ("1,,2", ",1") is not a block index; "1," has a trailing comma.
template <class OnIndex>
void parse_index_list(std::string_view list, const text_context& where, OnIndex&& on_index) {
  std::size_t start = 0;
  while (start < list.size()) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    on_index(parse_number(list.substr(start, end - start), where));
    if (end == list.size()) return;
    start = end + 1;
    if (start == list.size())
      throw argument_error(
          where.id, std::string(where.noun) + " '" + std::string(where.text) + "' has a trailing comma");
  }
}

// Calls on_part(m, part) for each `sep`-separated part of `list` ("" is one empty
// part, "a;" two) and returns how many there are; throws "… lists more than
// `limit` modalities" on reaching part `limit` (0-based), before parsing it.
template <class OnPart>
std::size_t for_each_part(std::string_view list, char sep, std::size_t limit, const text_context& where,
                          OnPart&& on_part) {
  std::size_t m = 0, start = 0;
  while (true) {
    const std::size_t end = std::min(list.find(sep, start), list.size());
    if (m >= limit)
      throw argument_error(where.id, std::string(where.noun) + " '" + std::string(where.text) +
                                         "' lists more than " + std::to_string(limit) + " modalities");
    on_part(m, list.substr(start, end - start));
    ++m;
    if (end == list.size()) return m;
    start = end + 1;
  }
}

// One ';'-separated part per modality, exactly `count` of them: for_each_part, then
// "<noun> '<text>' lists m modalities, the network has <count>" for fewer.
template <class OnPart>
void for_each_modality(std::string_view text, std::size_t count, const text_context& where,
                       OnPart&& on_part) {
  const std::size_t m = for_each_part(text, ';', count, where, on_part);
  if (m != count)
    throw argument_error(where.id, std::string(where.noun) + " '" + std::string(where.text) + "' lists " +
                                       std::to_string(m) + " modalities, the network has " +
                                       std::to_string(count));
}

}  // namespace admn::adaptive
