# cmake -DNM=<nm> -DLEVEL=<level> "-DOBJECTS=<o>|<o>..." -P isa_symbols.cmake
#
# The per-level kernel objects (admn_add_kernels) are compiled with that level's flags. A weak
# code symbol in them that another translation unit may define too (an inline function or a
# template not instantiated on the level's tag) could be the copy the linker keeps for the whole
# program: AVX-512 code run on a CPU without it. Every weak text symbol of <level>.cpp.o must
# therefore name the level: its xsimd tag (admn::kernels::isa_arch::<level>), its table's
# namespace (admn::kernels::isa_<level>) or its Eigen namespace (admn_eigen_<level>).
string(REPLACE "|" ";" objects "${OBJECTS}")
set(specific 0)
set(offending "")
set(checked 0)
foreach(object IN LISTS objects)
  get_filename_component(name "${object}" NAME)
  if(NOT name STREQUAL "${LEVEL}.cpp.o" AND NOT name STREQUAL "${LEVEL}.cpp.obj")
    continue()
  endif()
  math(EXPR checked "${checked} + 1")
  execute_process(COMMAND "${NM}" -C --defined-only -f sysv "${object}" OUTPUT_VARIABLE listing
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${object}")
  endif()
  string(REPLACE ";" "\\;" listing "${listing}")
  string(REPLACE "\n" ";" lines "${listing}")
  foreach(line IN LISTS lines)
    # sysv format: name | value | class | type | size | line | section
    if(NOT line MATCHES "^(.*)\\|[0-9a-f]*\\| +([WV]) +\\| *[A-Z]* *\\|[0-9a-f]*\\| *[^|]*\\|(.*)$")
      continue()
    endif()
    set(symbol "${CMAKE_MATCH_1}")
    set(section "${CMAKE_MATCH_3}")
    if(NOT section MATCHES "text")
      continue()
    endif()
    if(symbol MATCHES "(isa_arch::${LEVEL}|isa_${LEVEL}|admn_eigen_${LEVEL})([^_a-z0-9]|$)")
      math(EXPR specific "${specific} + 1")
    else()
      string(APPEND offending "  ${symbol}\n")
    endif()
  endforeach()
endforeach()
if(checked EQUAL 0)
  message(FATAL_ERROR "no ${LEVEL}.cpp.o among ${OBJECTS}")
endif()
if(specific EQUAL 0)
  message(FATAL_ERROR "${LEVEL}: no weak text symbol names the level: is ${NM} -f sysv output parsed right?")
endif()
if(offending)
  message(FATAL_ERROR "${LEVEL}: weak code symbols not specific to the level (link hazard):\n${offending}")
endif()
message(STATUS "${LEVEL}: ${specific} weak code symbols, all specific to the level")
