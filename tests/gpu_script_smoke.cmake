# Runs tools/gpu/triforce_costs.py on its CPU-only path (--device cpu --tiny; needs Debian's
# python3-torch, which CI does not install: the test is skipped then) and feeds both CSVs to
# `kvsim compare-gpu` and `kvsim compare-stack`, the path a user with a GPU follows.
execute_process(COMMAND /usr/bin/python3 -c "import torch" RESULT_VARIABLE torch_missing OUTPUT_QUIET ERROR_QUIET)
if(torch_missing)  # the import failed
  message("python3-torch is not installed: skipped")
  return()
endif()
execute_process(COMMAND /usr/bin/python3 ${SRC}/tools/gpu/triforce_costs.py --device cpu --tiny --repeats 3
                        --out ${OUT}_forwards.csv --host-out ${OUT}_host.csv
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "triforce_costs.py failed on the CPU")
endif()
execute_process(COMMAND ${KVSIM} compare-gpu ${OUT}_forwards.csv --gpu h200-141gb-sxm RESULT_VARIABLE rc OUTPUT_VARIABLE out)
message("${out}")
if(rc OR NOT out MATCHES "retrieval_graph" OR NOT out MATCHES "full_eager")
  message(FATAL_ERROR "kvsim compare-gpu could not read the forwards CSV")
endif()
execute_process(COMMAND ${KVSIM} compare-stack ${OUT}_host.csv RESULT_VARIABLE rc OUTPUT_VARIABLE out)
message("${out}")
if(rc OR NOT out MATCHES "middle_iteration_host_ms" OR NOT out MATCHES "cpu_attention_gbps_1thread")
  message(FATAL_ERROR "kvsim compare-stack could not read the host CSV")
endif()
