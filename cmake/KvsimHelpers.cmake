# kvsim_library(NAME SOURCES ... DEPS ...): one library per folder, includable as "<folder>/<file>.h"
# from the repository root (or from <prefix>/include/kvsim once installed), with its dependencies
# stated where it is defined. Every such library is installed and exported as kvsim::NAME
# (cmake/KvsimInstall.cmake).
function(kvsim_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  add_library(kvsim::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}> $<INSTALL_INTERFACE:include/kvsim>)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  set_property(GLOBAL APPEND PROPERTY KVSIM_LIBRARIES ${name})
endfunction()
