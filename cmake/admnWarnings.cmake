# Warnings for admn's own targets (tests, examples, benchmarks) only; consumers of
# admn::admn never inherit them.
function(admn_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(ADMN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
