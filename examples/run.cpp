// admn-run — run an ADMN reference network (GTDM, AVE, MM-Fi, the demo's digits) from
// safetensors files.
//
//   admn-run --model M.safetensors --input IN.safetensors --output OUT.safetensors
//            (--budget L[,L1…] | --plan SPEC | --latency-budget MS) [options]
//
// The network is the one the model's `admn.arch` metadata names (gtdm, gtdm_blur, gtdm_lowlight,
// gtdm_3mod, ave, ave_unequal, mmfi, digits; zoo/registry.hpp). The command line, the outputs and the exit
// status are those of admn::cli::run_command, documented in include/admn/cli/run_main.hpp; a network type of
// your own gets the same program through admn::cli::run_main<Net> (examples/my_admn_run.cpp).
#include <admn/cli/run_main.hpp>
#include <admn/zoo/registry.hpp>

#include <memory>

int main(int argc, char** argv) {
  return admn::cli::run_command(argc, argv, "admn-run",
                                [](std::shared_ptr<const admn::io::safetensors_file> model,
                                   const admn::cli::run_arguments& args, auto&& run) {
                                  return admn::zoo::with_network(
                                      std::move(model), args.antialias, run, {},
                                      args.precision.value_or(admn::kernels::precision::fp32));
                                });
}
