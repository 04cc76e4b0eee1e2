# admn_add_kernels(<target>): run-time instruction-set dispatch for <target>.
#
# Compiles admn's kernels once per instruction-set level (include/admn/kernels/isa/*.cpp, each
# with its level's flags) into one OBJECT library per level, created once per project, links
# them into <target> and defines ADMN_DISPATCH=1 for it: the layers then run the kernels of the
# best level the CPU has (or the one ADMN_ISA names), chosen once at run time. <target> itself
# needs no -march flag. Without this function the headers run the kernels of the flags each
# translation unit is compiled with (admn::native: -march=native).
include_guard(GLOBAL)

if(NOT DEFINED ADMN_KERNELS_SOURCE_DIR)
  get_filename_component(ADMN_KERNELS_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/../include/admn/kernels/isa" ABSOLUTE)
endif()
set_property(GLOBAL PROPERTY ADMN_KERNELS_SOURCE_DIR "${ADMN_KERNELS_SOURCE_DIR}")

# The levels and their compiler flags (GCC and Clang spellings): ADMN_ISA_LEVELS and
# ADMN_ISA_FLAGS_<level> in the calling scope (a macro: the function below needs them too, called
# from a directory that may not see the scope this file was included in).
macro(admn_isa_levels)
  set(ADMN_ISA_LEVELS sse2 avx2 avx512 avx512_bf16)
  set(ADMN_ISA_FLAGS_sse2 "")
  set(ADMN_ISA_FLAGS_avx2 -mavx2 -mfma)
  set(ADMN_ISA_FLAGS_avx512 -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma)
  set(ADMN_ISA_FLAGS_avx512_bf16 ${ADMN_ISA_FLAGS_avx512} -mavx512bf16 -mavx512vnni)
endmacro()
admn_isa_levels()

function(admn_add_kernels target)
  admn_isa_levels()
  if(NOT TARGET admn_isa_sse2)
    get_property(dir GLOBAL PROPERTY ADMN_KERNELS_SOURCE_DIR)
    foreach(level IN LISTS ADMN_ISA_LEVELS)
      set(sources "${dir}/${level}.cpp")
      if(level STREQUAL "sse2")
        list(APPEND sources "${dir}/dispatch.cpp")  # the selector runs before the CPU is known
      endif()
      add_library(admn_isa_${level} OBJECT ${sources})
      target_link_libraries(admn_isa_${level} PRIVATE admn::admn)
      # Unoptimised, a compiler emits every inline function it uses out of line: weak code for this
      # level that other objects define too (see kernels/isa/table.ipp). The per-level objects are
      # therefore optimised in Debug builds as well.
      target_compile_options(admn_isa_${level} PRIVATE ${ADMN_ISA_FLAGS_${level}} $<$<CONFIG:Debug>:-O2>)
      target_compile_definitions(admn_isa_${level} PRIVATE ADMN_DISPATCH=1)
      set_target_properties(admn_isa_${level} PROPERTIES UNITY_BUILD OFF)
      if(COMMAND admn_set_warnings)
        admn_set_warnings(admn_isa_${level})
      endif()
    endforeach()
  endif()
  foreach(level IN LISTS ADMN_ISA_LEVELS)
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:admn_isa_${level}>)
  endforeach()
  target_link_libraries(${target} PRIVATE admn::admn)
  target_compile_definitions(${target} PRIVATE ADMN_DISPATCH=1)
endfunction()
