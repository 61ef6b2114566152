# Dumps a KV trace of the small model with tools/trace/dump_kv_trace.py (needs Debian's
# python3-torch, which CI does not install: the test is skipped then) and runs a policy on it
# with kvsim, the path a user with a Hugging Face model follows.
execute_process(COMMAND /usr/bin/python3 -c "import torch" RESULT_VARIABLE torch_missing OUTPUT_QUIET ERROR_QUIET)
if(torch_missing)  # the import failed
  message("python3-torch is not installed: skipped")
  return()
endif()
file(WRITE ${OUT}.txt "")
foreach(i RANGE 40)
  file(APPEND ${OUT}.txt "The grass is green. The sky is blue. The pass key is 24680. Here we go. ")
endforeach()
execute_process(COMMAND /usr/bin/python3 ${SRC}/tools/trace/dump_kv_trace.py --small ${SRC}/models/small/kvsim-byte-lm.bin
                        --text ${OUT}.txt --prompt-tokens 1024 --decode 24 -o ${OUT}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "dump_kv_trace.py failed")
endif()
file(WRITE ${OUT}.toml "kind = \"kv-quality\"\n[policy]\nname = \"quest\"\nbudget = 128\n[workload]\ntrace = \"${OUT}\"\n")
execute_process(COMMAND ${KVSIM} run ${OUT}.toml -o ${OUT}.result.h5 RESULT_VARIABLE rc OUTPUT_VARIABLE out)
message("${out}")
if(rc OR NOT out MATCHES "attention_recall")
  message(FATAL_ERROR "kvsim could not run a policy on the dumped trace")
endif()
