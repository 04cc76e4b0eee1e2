// The sample grouping every batched run uses: groups of equal keys in order of first
// appearance, their adjacency, and gather/scatter of row blocks through the workspace.
#include <admn/model/sample_groups.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace m = admn::model;
using admn::tensor;

namespace {

struct seen_group {
  int key;
  std::vector<std::size_t> members;
  bool adjacent;
};

std::vector<seen_group> groups_of(const std::vector<int>& keys) {
  std::vector<seen_group> out;
  m::for_each_group(
      keys.size(), [&](std::size_t s) -> const int& { return keys[s]; },
      [&](const auto& group) {
        seen_group g{group.key(), {}, group.adjacent()};
        group.for_each_member([&](std::size_t i, std::size_t s) {
          CHECK(i == g.members.size());
          g.members.push_back(s);
        });
        CHECK(g.members.size() == group.size());
        CHECK(g.members.front() == group.first());
        CHECK(g.members.back() == group.last());
        out.push_back(g);
      });
  return out;
}

}  // namespace

TEST_CASE("for_each_group finds each key once, in order of first appearance, with its members") {
  const auto groups = groups_of({7, 3, 7, 7, 5, 3});
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].key == 7);
  CHECK(groups[0].members == std::vector<std::size_t>{0, 2, 3});
  CHECK_FALSE(groups[0].adjacent);
  CHECK(groups[1].key == 3);
  CHECK(groups[1].members == std::vector<std::size_t>{1, 5});
  CHECK_FALSE(groups[1].adjacent);
  CHECK(groups[2].key == 5);
  CHECK(groups[2].members == std::vector<std::size_t>{4});
  CHECK(groups[2].adjacent);
}

TEST_CASE("for_each_group: adjacent runs, one key, all distinct, an empty batch") {
  const auto runs = groups_of({1, 1, 2, 2, 2, 0});
  REQUIRE(runs.size() == 3);
  for (const auto& g : runs) CHECK(g.adjacent);
  CHECK(runs[1].members == std::vector<std::size_t>{2, 3, 4});

  const auto one = groups_of({4, 4, 4});
  REQUIRE(one.size() == 1);
  CHECK(one[0].adjacent);
  CHECK(one[0].members.size() == 3);

  const auto distinct = groups_of({3, 2, 1, 0});
  REQUIRE(distinct.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK(distinct[i].members == std::vector<std::size_t>{i});

  CHECK(groups_of({}).empty());
}

TEST_CASE("gather, group_rows and scatter move row blocks, and adjacent groups use the rows in place") {
  // 5 samples of 2 rows × 3 floats each: value = 100·sample + 10·row + column.
  const std::size_t batch = 5, per = 2;
  tensor all(admn::shape{batch * per, 3});
  for (std::size_t r = 0; r < batch * per; ++r)
    for (std::size_t c = 0; c < 3; ++c)
      all.data()[r * 3 + c] = static_cast<float>(100 * (r / per) + 10 * (r % per) + c);
  const std::vector<int> keys{0, 1, 0, 2, 2};
  tensor back(admn::shape{batch * per, 3});
  admn::workspace ws;
  std::size_t copies = 0;
  m::for_each_group(
      batch, [&](std::size_t s) -> const int& { return keys[s]; },
      [&](const auto& group) {
        admn::workspace::scope scope(ws);
        const admn::const_view in = m::gather(group, all.view(), per, ws);
        REQUIRE(in.extent(0) == group.size() * per);
        REQUIRE(in.extent(1) == 3);
        const bool in_place = in.data() == all.data() + group.first() * per * 3;
        CHECK(in_place == group.adjacent());
        group.for_each_member([&](std::size_t g, std::size_t s) {
          for (std::size_t i = 0; i < per * 3; ++i)
            CHECK(in.data()[g * per * 3 + i] == all.data()[s * per * 3 + i]);
        });
        const admn::mutable_view out = m::group_rows(group, back.view(), per, ws);
        CHECK((out.data() == back.data() + group.first() * per * 3) == group.adjacent());
        // The "run": negate each row block.
        for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = -in.data()[i];
        m::scatter(group, out, back.view(), per);
        if (!group.adjacent()) ++copies;
      });
  CHECK(copies == 1);  // only key 0 (samples 0 and 2) is gathered
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(back.data()[i] == -all.data()[i]);
  CHECK(ws.used() == 0);
}

TEST_CASE("gather of a mutable view gives mutable rows for a pass that works in place") {
  const std::size_t batch = 3;
  tensor all(admn::shape{batch, 4});
  for (std::size_t i = 0; i < all.size(); ++i) all.data()[i] = static_cast<float>(i);
  const std::array<int, 3> keys{1, 0, 1};
  admn::workspace ws;
  m::for_each_group(
      batch, [&](std::size_t s) -> const int& { return keys[s]; },
      [&](const auto& group) {
        admn::workspace::scope scope(ws);
        const admn::mutable_view rows = m::gather(group, all.view(), 1, ws);
        for (std::size_t i = 0; i < rows.size(); ++i) rows.data()[i] += 1000.0f;
        m::scatter(group, rows, all.view(), 1);
      });
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all.data()[i] == static_cast<float>(i) + 1000.0f);
}
