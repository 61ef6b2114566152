# Sanitizer runs of the whole suite, in their own build trees (called by ctest; MODE selects):
#   MODE=asan  every test executable of the project (all of ctest in BIN: the GoogleTest suites,
#              the CLI and TCP tests that start the sanitized `kvsim`, the fuzz regressions) under
#              AddressSanitizer + UndefinedBehaviorSanitizer; with clang (installed by
#              tools/install-deps.sh) the same tree also builds the libFuzzer targets and runs each
#              campaign for KVSIM_FUZZ_SECONDS. Without clang, GCC builds it and the campaigns are
#              skipped (said in the log).
#   MODE=tsan  the code that runs on threads (the point pool behind `kvsim sweep -j` and
#              `reproduce -j`, the shared episode cache) under ThreadSanitizer: the determinism
#              tests at 1, 2 and 8 threads and the episode-cache tests.
# Both build at -O1 (sanitizers' usual level; -O0 would make the suite several times slower).
find_program(CLANGXX clang++)
find_program(CLANGC clang)
set(compiler)
if(CLANGXX AND CLANGC)
  set(compiler -DCMAKE_CXX_COMPILER=${CLANGXX} -DCMAKE_C_COMPILER=${CLANGC})
endif()
set(common -S ${SRC} -B ${BIN} -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" "-DCMAKE_C_FLAGS_DEBUG=-O1 -g"
           -DKVSIM_BUILD_BENCH=OFF -DKVSIM_ASAN_TEST=OFF -DKVSIM_TEST_TIMEOUT=1500 ${compiler}
           # Why without MPI: LeakSanitizer reports OpenMPI's own allocations, which live until exit.
           # Why without the Python module: a sanitized extension cannot load into Debian's python3.
           -DKVSIM_MPI=OFF -DKVSIM_PYTHON=OFF)

if(MODE STREQUAL "asan")
  set(fuzz -DKVSIM_FUZZ=OFF)
  if(compiler)
    set(fuzz -DKVSIM_FUZZ=ON -DKVSIM_FUZZ_SECONDS=${FUZZ_SECONDS})
  else()
    message("clang not found: the whole suite runs under GCC's sanitizers, the fuzz campaigns are skipped")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} ${common} -DKVSIM_SANITIZE=ON ${fuzz} RESULT_VARIABLE rc OUTPUT_QUIET)
  if(rc)
    message(FATAL_ERROR "configuring the sanitizer build failed")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BIN} -j 2 RESULT_VARIABLE rc OUTPUT_QUIET)
  if(rc)
    message(FATAL_ERROR "building the suite with sanitizers failed")
  endif()
  set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=1")
  set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
  execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir ${BIN} -j 2 --output-on-failure --timeout 1200 RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "the suite failed under ASan/UBSan (or a fuzz campaign found an input): see above")
  endif()
elseif(MODE STREQUAL "tsan")
  execute_process(COMMAND ${CMAKE_COMMAND} ${common} -DKVSIM_TSAN=ON RESULT_VARIABLE rc OUTPUT_QUIET)
  if(rc)
    message(FATAL_ERROR "configuring the ThreadSanitizer build failed")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BIN} -j 2 --target kvsim app_tests lm_tests RESULT_VARIABLE rc OUTPUT_QUIET)
  if(rc)
    message(FATAL_ERROR "building with ThreadSanitizer failed")
  endif()
  set(ENV{TSAN_OPTIONS} "halt_on_error=1:second_deadlock_stack=1")
  execute_process(COMMAND ${BIN}/tests/app_tests "--gtest_filter=*Determinism*:Cli.SweepInParallelEqualsSerial" RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "the threaded sweep tests failed under ThreadSanitizer")
  endif()
  execute_process(COMMAND ${BIN}/tests/lm_tests "--gtest_filter=*EpisodeCache*" RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "the episode-cache tests failed under ThreadSanitizer")
  endif()
else()
  message(FATAL_ERROR "sanitize.cmake: MODE must be asan or tsan")
endif()
