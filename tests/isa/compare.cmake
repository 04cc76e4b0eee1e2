# cmake -DNATIVE=<exe> -DDISPATCH=<exe> -DOUT=<dir> -DLEVEL=<level> -P compare.cmake
# Runs the natively built program and the dispatching one (ADMN_ISA=<level> in the environment,
# set by the test) and compares their output files byte for byte.
foreach(kind NATIVE DISPATCH)
  set(file "${OUT}/${LEVEL}-${kind}.bin")
  file(REMOVE "${file}")
  execute_process(COMMAND "${${kind}}" "${file}" RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  message(STATUS "${kind}: ${stdout}${stderr}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${${kind}} failed (${rc})")
  endif()
endforeach()
if(NOT "$ENV{ADMN_ISA}" STREQUAL "${LEVEL}")
  message(FATAL_ERROR "ADMN_ISA is '$ENV{ADMN_ISA}', expected ${LEVEL}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}/${LEVEL}-NATIVE.bin" "${OUT}/${LEVEL}-DISPATCH.bin"
                RESULT_VARIABLE different)
if(different)
  message(FATAL_ERROR "${LEVEL}: the dispatched kernels' outputs differ from the native build's")
endif()
file(SIZE "${OUT}/${LEVEL}-NATIVE.bin" bytes)
message(STATUS "${LEVEL}: ${bytes} bytes identical")
