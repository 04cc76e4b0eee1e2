// admn/cli.hpp — the command-line tier: admn-run's command line and run for any network type
// (admn::cli::run_main<Net>), and the helpers admn's programs share.
#pragma once

#include <admn/cli/args.hpp>
#include <admn/cli/memory.hpp>
#include <admn/cli/run_main.hpp>
