# Runs one libFuzzer target for SECONDS from the committed seeds (called by ctest). New inputs go
# to WORK/corpus, never into the source tree; a crash, leak, timeout or out-of-memory input is
# written to WORK/ and fails the test with the file to commit under tests/fuzz/regressions/TARGET/
# once the defect is fixed.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=1")
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
execute_process(COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=20 -rss_limit_mb=2048 -max_len=8192
                        -print_final_stats=1 -artifact_prefix=${WORK}/ ${WORK}/corpus ${SEEDS}
                WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" runs "${out}")
message("fuzz ${TARGET}: ${SECONDS} s, ${runs}")
if(rc)
  file(GLOB found ${WORK}/crash-* ${WORK}/leak-* ${WORK}/timeout-* ${WORK}/oom-*)
  string(LENGTH "${out}" n)
  if(n GREATER 6000)
    math(EXPR from "${n} - 6000")
    string(SUBSTRING "${out}" ${from} 6000 out)
  endif()
  message("${out}")
  message(FATAL_ERROR "fuzz ${TARGET} found a failing input: ${found}\n"
                      "fix the defect, then commit the input under tests/fuzz/regressions/${TARGET}/")
endif()
