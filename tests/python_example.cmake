# Runs the example scenario, then reads the result with tools/read_results.py (Debian's python3).
execute_process(COMMAND ${KVSIM} run ${SRC}/scenarios/examples/lan-wan-exchange.toml -o ${OUT}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "kvsim run failed")
endif()
execute_process(COMMAND /usr/bin/python3 ${SRC}/tools/read_results.py ${OUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out)
message("${out}")
if(rc)
  message(FATAL_ERROR "tools/read_results.py failed")
endif()
if(NOT out MATCHES "makespan")
  message(FATAL_ERROR "tools/read_results.py did not print the makespan row")
endif()
