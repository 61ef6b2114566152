# Builds the engine, hardware, model, KV-policy, protocol, private-decode and result-file tests with
# -fsanitize=address,undefined in BIN and runs them (called by ctest).
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${BIN} -DCMAKE_BUILD_TYPE=Debug -DKVSIM_SANITIZE=ON
                        -DKVSIM_ASAN_SUBSET=ON -DKVSIM_BUILD_BENCH=OFF -DKVSIM_ASAN_TEST=OFF
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "configuring the sanitizer build failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BIN} --target sim_tests hardware_tests models_tests protocols_tests results_tests kv_tests private_decode_tests -j 2
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "building the tests with sanitizers failed")
endif()
set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=1")
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
foreach(t sim_tests hardware_tests models_tests protocols_tests results_tests kv_tests private_decode_tests)
  execute_process(COMMAND ${BIN}/tests/${t} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "${t} failed under ASan/UBSan")
  endif()
endforeach()
