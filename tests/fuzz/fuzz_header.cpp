// libFuzzer target: the header alone (detail::parse_header), checked against nlohmann-json.
//
// The input is the header text. It is validated for an unbounded data section, so
// layout rules run without any data bytes. nlohmann-json serves as an independent
// oracle for the JSON layer, in both directions:
//   - a header admn accepts is valid JSON to nlohmann, with the same names, dtypes,
//     shapes, offsets and metadata;
//   - a header admn calls invalid_json / invalid_utf8 is rejected by nlohmann too
//     (nlohmann skips a leading byte order mark, which admn, like serde_json, rejects,
//     and ends the input at a NUL byte).
#include <admn/io.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

#define FUZZ_CHECK(condition)                                                                     \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "fuzz_header invariant broken: %s (line %d)\n", #condition, __LINE__); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

std::string parse(std::string_view text, const admn::io::open_options& options,
                  std::optional<admn::io::detail::parsed_header>& out) {
  try {
    out.emplace(admn::io::detail::parse_header(text, UINT64_MAX, options));
    return "";
  } catch (const admn::format_error& e) {
    return e.id();
  }
}

// nlohmann's verdict: the parsed document, or discarded with the reason in `why`.
nlohmann::json oracle(std::string_view text, std::string& why) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    why = e.what();
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  admn::io::open_options options{};
  options.allow_trailing_bytes = true;
  std::optional<admn::io::detail::parsed_header> parsed;
  const std::string id = parse(text, options, parsed);

  if (id.empty()) {
    std::string why;
    const nlohmann::json doc = oracle(text, why);
    // nlohmann refuses numbers beyond double range (1e400) that JSON allows and admn
    // accepts in fields it ignores.
    if (doc.is_discarded()) {
      FUZZ_CHECK(why.find("number overflow") != std::string::npos);
      return 0;
    }
    FUZZ_CHECK(doc.is_object());
    std::size_t tensors = 0;
    for (const auto& [key, value] : doc.items()) {
      if (key == "__metadata__") {
        if (value.is_null()) {
          FUZZ_CHECK(!parsed->metadata.has_value());
          continue;
        }
        FUZZ_CHECK(parsed->metadata.has_value());
        FUZZ_CHECK(value.size() == parsed->metadata->size());
        for (const auto& [k, v] : value.items()) {
          const auto found = parsed->metadata->find(k);
          FUZZ_CHECK(found != parsed->metadata->end() && v.is_string() &&
                     found->second == v.get<std::string>());
        }
        continue;
      }
      ++tensors;
      const auto it =
          std::lower_bound(parsed->tensors.begin(), parsed->tensors.end(), key,
                           [](const admn::io::tensor_info& t, const std::string& k) { return t.name < k; });
      FUZZ_CHECK(it != parsed->tensors.end() && it->name == key);
      FUZZ_CHECK(value.at("dtype").get<std::string>() == admn::dtype_name(it->type));
      FUZZ_CHECK(value.at("shape").get<std::vector<std::uint64_t>>() == it->shape);
      FUZZ_CHECK(value.at("data_offsets").get<std::vector<std::uint64_t>>() ==
                 (std::vector<std::uint64_t>{it->begin, it->end}));
    }
    if (!doc.contains("__metadata__")) FUZZ_CHECK(!parsed->metadata.has_value());
    FUZZ_CHECK(tensors == parsed->tensors.size());
  } else if (id == "admn.safetensors.invalid_json" || id == "admn.safetensors.invalid_utf8") {
    // nlohmann also stops at a NUL byte as if the input ended there; a 0x01 byte is invalid
    // JSON at the same places without that quirk.
    std::string stand_in(text);
    std::replace(stand_in.begin(), stand_in.end(), '\0', '\x01');
    std::string why;
    if (!text.starts_with("\xef\xbb\xbf")) FUZZ_CHECK(oracle(stand_in, why).is_discarded());
  }

  // Tighter caps only add rejections, with their own ids.
  admn::io::open_options tight = options;
  tight.max_json_depth = 3;
  tight.max_rank = 1;
  std::optional<admn::io::detail::parsed_header> capped;
  const std::string tight_id = parse(text, tight, capped);
  if (tight_id.empty())
    FUZZ_CHECK(id.empty());
  else if (id.empty())
    FUZZ_CHECK(tight_id == "admn.safetensors.json_too_deep" || tight_id == "admn.safetensors.rank_too_large");
  return 0;
}
