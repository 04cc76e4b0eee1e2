# cmake -DOBJDUMP=<objdump> -DPROGRAM=<exe> -P portable.cmake
#
# A program built with admn_add_kernels and no -march flag runs on any x86-64 CPU: outside the
# per-level kernel code (functions that name admn::kernels::isa_arch::<level>, isa_<level> or
# admn_eigen_<level>), the binary holds no AVX/AVX-512 instruction (VEX/EVEX mnemonics, YMM/ZMM
# or mask registers). The linker kept no per-level copy of a shared inline function.
set(awk_program [=[
/^[0-9a-f]+ <.*>:$/ { fn = $0; next }
/\t(v[a-z0-9]+|k[a-z]+[bwdq])[ \t]/ || /%[yz]mm|%k[0-7]/ {
  if (fn ~ /isa_arch::(avx2|avx512|avx512_bf16)|admn_eigen_(avx2|avx512|avx512_bf16)|isa_(avx2|avx512|avx512_bf16)::/) { ok++; next }
  bad[fn]++
}
END { print "level-specific " ok + 0; for (f in bad) print bad[f] " " f }
]=])
execute_process(COMMAND "${OBJDUMP}" -d -C --no-show-raw-insn "${PROGRAM}" COMMAND awk "${awk_program}"
                OUTPUT_VARIABLE report RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objdump | awk failed on ${PROGRAM} (${rc})")
endif()
if(NOT report MATCHES "^level-specific ([0-9]+)\n(.*)$")
  message(FATAL_ERROR "unexpected report:\n${report}")
endif()
set(specific "${CMAKE_MATCH_1}")
set(offending "${CMAKE_MATCH_2}")
if(specific EQUAL 0)
  message(FATAL_ERROR "${PROGRAM}: no AVX instruction in the per-level kernels: not built with admn_add_kernels?")
endif()
if(NOT offending STREQUAL "")
  message(FATAL_ERROR "${PROGRAM}: AVX instructions outside the per-level kernels (count, function):\n${offending}")
endif()
message(STATUS "${PROGRAM}: ${specific} AVX instructions, all in per-level kernel code")
