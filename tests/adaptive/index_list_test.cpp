// The list syntax shared by the plan and execution-order text forms (index_list.hpp).
#include <admn/adaptive/index_list.hpp>

#include "common/error_id.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ad = admn::adaptive;
using admn::test::error_id;

namespace {

const ad::text_context plan{.id = "admn.plan.parse", .noun = "plan", .text = "whole text"};

std::vector<std::size_t> indices(std::string_view list) {
  std::vector<std::size_t> out;
  ad::parse_index_list(list, plan, [&](std::size_t i) { out.push_back(i); });
  return out;
}

std::string message(auto&& fn) {
  try {
    fn();
  } catch (const admn::error& e) {
    return e.what();
  }
  return "none";
}

}  // namespace

TEST_CASE("parse_number reads exactly one non-negative integer") {
  CHECK(ad::parse_number("0", plan) == 0);
  CHECK(ad::parse_number("0042", plan) == 42);
  CHECK(ad::parse_number("18446744073709551615", plan) == std::size_t(18446744073709551615ull));
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.0", "18446744073709551616"}) {
    CAPTURE(bad);
    CHECK(error_id([&] { (void)ad::parse_number(bad, plan); }) == "admn.plan.parse");
  }
  CHECK(message([] { (void)ad::parse_number("x", plan); }) ==
        "[admn.plan.parse] plan 'whole text': 'x' is not a block index");
  CHECK(message([] { (void)ad::parse_number("", plan, "a block count"); }) ==
        "[admn.plan.parse] plan 'whole text': '' is not a block count");
}

TEST_CASE("parse_index_list: order kept, empty list, empty items, trailing comma") {
  CHECK(indices("3,0,2") == std::vector<std::size_t>{3, 0, 2});
  CHECK(indices("7") == std::vector<std::size_t>{7});
  CHECK(indices("").empty());
  CHECK(indices("1,1") == std::vector<std::size_t>{1, 1});  // repeats are the caller's business
  CHECK(message([] { (void)indices("1,,2"); }) ==
        "[admn.plan.parse] plan 'whole text': '' is not a block index");
  CHECK(message([] { (void)indices(",1"); }) ==
        "[admn.plan.parse] plan 'whole text': '' is not a block index");
  CHECK(message([] { (void)indices("1,"); }) == "[admn.plan.parse] plan 'whole text' has a trailing comma");
  CHECK(message([] { (void)indices(","); }) ==
        "[admn.plan.parse] plan 'whole text': '' is not a block index");
  // The caller's id and noun name the error.
  const ad::text_context order{.id = "admn.order.parse", .noun = "execution order", .text = "2,x"};
  CHECK(message([&] { ad::parse_index_list("2,x", order, [](std::size_t) {}); }) ==
        "[admn.order.parse] execution order '2,x': 'x' is not a block index");
  // An error of the callback stops the walk before the next item.
  std::vector<std::size_t> seen;
  CHECK(error_id([&] {
          ad::parse_index_list("1,9,2", plan, [&](std::size_t i) {
            if (i > 5) throw admn::argument_error("admn.mask.block", "too big");
            seen.push_back(i);
          });
        }) == "admn.mask.block");
  CHECK(seen == std::vector<std::size_t>{1});
  // A bad item is reported before a trailing comma after it.
  CHECK(message([] { (void)indices("x,"); }) ==
        "[admn.plan.parse] plan 'whole text': 'x' is not a block index");
}

TEST_CASE("for_each_part splits on its separator and caps the count") {
  std::vector<std::string> parts;
  const auto collect = [&](std::size_t m, std::string_view part) {
    CHECK(m == parts.size());
    parts.emplace_back(part);
  };
  CHECK(ad::for_each_part("0,1;;2", ';', 8, plan, collect) == 3);
  CHECK(parts == std::vector<std::string>{"0,1", "", "2"});
  parts.clear();
  CHECK(ad::for_each_part("", ';', 8, plan, collect) == 1);  // one empty part
  CHECK(parts == std::vector<std::string>{""});
  parts.clear();
  CHECK(ad::for_each_part("4,", ',', 8, plan, collect) == 2);
  CHECK(parts == std::vector<std::string>{"4", ""});
  parts.clear();
  CHECK(message([&] { (void)ad::for_each_part("a;b;c", ';', 2, plan, collect); }) ==
        "[admn.plan.parse] plan 'whole text' lists more than 2 modalities");
  CHECK(parts == std::vector<std::string>{"a", "b"});  // the extra part is not parsed
  CHECK(error_id([&] { (void)ad::for_each_part("", ';', 0, plan, collect); }) == "admn.plan.parse");
}

TEST_CASE("for_each_modality wants exactly one part per modality") {
  std::size_t calls = 0;
  const auto count = [&](std::size_t, std::string_view) { ++calls; };
  ad::for_each_modality("0;0,1", 2, plan, count);
  CHECK(calls == 2);
  CHECK(message([&] { ad::for_each_modality("0", 2, plan, count); }) ==
        "[admn.plan.parse] plan 'whole text' lists 1 modalities, the network has 2");
  CHECK(message([&] { ad::for_each_modality("0;1;2", 2, plan, count); }) ==
        "[admn.plan.parse] plan 'whole text' lists more than 2 modalities");
}
