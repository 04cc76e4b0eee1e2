// admn-inspect FILE [--json] [--read] [--allow-trailing-bytes]
// admn-inspect --cpu [FILE ...]
//
// Validates a safetensors file and prints its metadata and every tensor (name, dtype,
// shape, bytes) with totals; for a model file (metadata `admn.arch`: a network of
// zoo/registry.hpp) it also binds the network and describes it with the MACs of its blocks.
// Exit status: 0 for a valid file; 1 for an invalid or unreadable one, with the
// "[admn.…] …" message on stderr ([admn.load.format] for a file that is recognisably not
// safetensors: a PyTorch .pt, text, an empty file); 2 for bad usage. (A model whose tensors do not
// bind is reported on stderr; the status still reflects the file's validity.)
//   --json                  machine-readable output (one JSON object) instead of the table
//   --read                  use the read() backend instead of mmap
//   --allow-trailing-bytes  accept bytes after the last tensor
//   --cpu                   first print the CPU's instruction-set features, the level the kernels
//                           run (kernels/isa.hpp) and whether ADMN_ISA forced it; FILE is then
//                           optional. A bad ADMN_ISA is an error (exit 1).
#include <admn/io.hpp>
#include <admn/kernels/dispatch.hpp>
#include <admn/kernels/isa.hpp>
#include <admn/zoo/registry.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* usage =
    "usage: admn-inspect FILE [--json] [--read] [--allow-trailing-bytes]\n"
    "       admn-inspect --cpu [FILE ...]";

// The --cpu report: what the CPU offers, what the kernels run and why.
void print_cpu() {
  namespace k = admn::kernels;
  const k::cpu_features cpu = k::detect_cpu();
  std::cout << "cpu features  " << cpu.to_string() << "\n";
  std::cout << "cpu best      " << k::to_string(cpu.best()) << "\n";
  const k::isa_choice& choice = k::isa_selection();
  std::cout << "isa           " << k::to_string(choice.level)
            << (choice.forced ? " (forced by ADMN_ISA)" : " (detected; ADMN_ISA unset)") << "\n";
  std::cout << "kernels       " << k::describe_kernels() << "\n";
}

// Names come from the file: never let one drive the terminal.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

std::string shape_text(std::span<const std::uint64_t> shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

struct totals {
  std::uint64_t elements = 0;
  std::uint64_t bytes = 0;
};

totals sum(const admn::io::safetensors_file& file) {
  totals t;
  for (const auto& info : file.tensors()) {
    t.elements += info.element_count();
    t.bytes += info.byte_size();
  }
  return t;
}

void print_table(const std::string& path, const admn::io::safetensors_file& file) {
  std::cout << "file      " << printable(path) << "\n"
            << "size      " << file.file_size() << " bytes (header " << file.header_size() << ", data "
            << file.data_size() << " from offset " << file.data_offset() << ")\n";
  const auto& metadata = file.metadata();
  if (!metadata) {
    std::cout << "metadata  none\n";
  } else {
    std::cout << "metadata  " << metadata->size() << (metadata->size() == 1 ? " entry\n" : " entries\n");
    std::size_t width = 0;
    for (const auto& [key, value] : *metadata) width = std::max(width, printable(key).size());
    for (const auto& [key, value] : *metadata) {
      const std::string k = printable(key);
      std::cout << "  " << k << std::string(width - k.size() + 2, ' ') << printable(value) << "\n";
    }
  }
  std::cout << "tensors   " << file.size() << "\n";
  if (file.size() != 0) {
    std::vector<std::vector<std::string>> rows{{"name", "dtype", "shape", "bytes"}};
    for (const auto& info : file.tensors())
      rows.push_back({printable(info.name), std::string(admn::dtype_name(info.type)), shape_text(info.shape),
                      std::to_string(info.byte_size())});
    std::size_t widths[3] = {0, 0, 0};
    for (const auto& row : rows)
      for (std::size_t c = 0; c < 3; ++c) widths[c] = std::max(widths[c], row[c].size());
    for (const auto& row : rows) {
      std::cout << "  ";
      for (std::size_t c = 0; c < 3; ++c)
        std::cout << row[c] << std::string(widths[c] - row[c].size() + 2, ' ');
      std::cout << row[3] << "\n";
    }
  }
  const totals t = sum(file);
  std::cout << "total     " << file.size() << " tensors, " << t.elements << " elements, " << t.bytes
            << " bytes\n";
}

void print_json(const std::string& path, const admn::io::safetensors_file& file) {
  nlohmann::ordered_json out;
  out["file"] = path;
  out["file_size"] = file.file_size();
  out["header_size"] = file.header_size();
  out["data_offset"] = file.data_offset();
  out["metadata"] = nullptr;
  if (file.metadata()) {
    out["metadata"] = nlohmann::ordered_json::object();
    for (const auto& [key, value] : *file.metadata()) out["metadata"][key] = value;
  }
  out["tensors"] = nlohmann::ordered_json::array();
  for (const auto& info : file.tensors())
    out["tensors"].push_back({{"name", info.name},
                              {"dtype", admn::dtype_name(info.type)},
                              {"shape", info.shape},
                              {"data_offsets", {info.begin, info.end}},
                              {"bytes", info.byte_size()}});
  const totals t = sum(file);
  out["total"] = {{"tensors", file.size()}, {"elements", t.elements}, {"bytes", t.bytes}};
  // File names need not be UTF-8; replace what is not rather than fail.
  std::cout << out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> path;
  bool json = false, cpu = false;
  admn::io::open_options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage << "\n";
      return 0;
    }
    if (arg == "--json") {
      json = true;
    } else if (arg == "--cpu") {
      cpu = true;
    } else if (arg == "--read") {
      options.backend = admn::io::backend::read;
    } else if (arg == "--allow-trailing-bytes") {
      options.allow_trailing_bytes = true;
    } else if (arg.starts_with("-") && arg != "-") {
      std::cerr << "[admn.cli.unknown_flag] unknown option '" << printable(arg) << "'\n" << usage << "\n";
      return 2;
    } else if (path) {
      std::cerr << "[admn.cli.usage] one FILE only, got '" << printable(*path) << "' and '" << printable(arg)
                << "'\n"
                << usage << "\n";
      return 2;
    } else {
      path = std::string(arg);
    }
  }
  if (!path && !cpu) {
    std::cerr << "[admn.cli.usage] missing FILE\n" << usage << "\n";
    return 2;
  }
  try {
    if (cpu) {
      print_cpu();
      if (!path) return 0;
      std::cout << "\n";
    }
    // A PyTorch checkpoint, text or an empty file: say what it is, not which byte is wrong.
    admn::io::require_not_other_format(*path);
    const auto file =
        std::make_shared<const admn::io::safetensors_file>(admn::io::safetensors_file::open(*path, options));
    if (json)
      print_json(*path, *file);
    else
      print_table(*path, *file);
    // A model file of a known network: bind it and describe the network, with the
    // MACs of its blocks (binding also checks every tensor's presence and shape).
    // The exit status reports the file's validity; a model that does not bind is reported
    // on stderr without changing it.
    if (!json && file->metadata() && file->metadata()->contains("admn.arch")) {
      try {
        admn::zoo::with_network(file, true, [](const auto& net, const admn::io::weight_source& weights) {
          const auto depths = net.depths();
          std::cout << "\n" << net.describe(admn::adaptive::layer_plan::all(depths));
          const auto unused = weights.unused_keys();
          std::cout << "  tensors not used by the network: " << unused.size() << "\n";
          for (const auto& key : unused) std::cout << "    " << printable(key) << "\n";
          return 0;
        });
      } catch (const admn::error& e) {
        std::cerr << "network: the file's admn.arch does not bind: " << e.what() << "\n";
      }
    }
    return 0;
  } catch (const admn::error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {  // not expected: admn reports bad input as admn::error
    std::cerr << "admn-inspect: internal error: " << e.what() << "\n";
    return 3;
  }
}
