# Runs admn-inspect and checks its exit status and output (CTest tests io.inspect.*,
# declared in examples/CMakeLists.txt).
#   cmake -DINSPECT=<exe> -DARGS="a|b" -DEXPECT_RC=<n> [-DSTDOUT=<regex>] [-DSTDERR=<regex>] -P inspect_check.cmake
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND "${INSPECT}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc STREQUAL EXPECT_RC)
  message(FATAL_ERROR "admn-inspect ${args}: exit ${rc}, expected ${EXPECT_RC}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED STDOUT AND NOT out MATCHES "${STDOUT}")
  message(FATAL_ERROR "admn-inspect ${args}: stdout does not match '${STDOUT}':\n${out}")
endif()
if(DEFINED STDERR AND NOT err MATCHES "${STDERR}")
  message(FATAL_ERROR "admn-inspect ${args}: stderr does not match '${STDERR}':\n${err}")
endif()
