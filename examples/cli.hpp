// cli.hpp — the command-line helpers of admn/cli/args.hpp under the names the example
// programs (admn-bench, admn-demo) use.
#pragma once

#include <admn/cli/args.hpp>

#include <utility>

namespace admn::examples {

using cli::elapsed_ms;
using cli::flag_value;
using cli::parse_count;
using cli::parse_counts;
using cli::parse_positive;
using cli::unknown_flag;

// cli::guarded_main: fn()'s exit status, or 1 with the error on stderr.
template <class Fn>
int run_main(const char* program, Fn&& fn) {
  return cli::guarded_main(program, std::forward<Fn>(fn));
}

}  // namespace admn::examples
