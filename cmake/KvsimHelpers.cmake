# kvsim_library(NAME SOURCES ... DEPS ...): one library per folder, includable as "<folder>/<file>.h"
# from the repository root, with its dependencies stated where it is defined.
function(kvsim_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  add_library(kvsim::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()
