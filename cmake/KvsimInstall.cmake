# cmake/KvsimInstall.cmake — what `cmake --install` puts where, the CMake package and the .deb.
#
#   bin/kvsim                                   the command line
#   share/kvsim/{profiles,zoo,small,scenarios}  the data it reads (found relative to the binary or
#                                               the Python module: scenarios/data_location.h)
#   share/kvsim/tools/                          plot.py, the Slurm job-array script
#   share/doc/kvsim/                            README, results/SCHEMA.md, docs/
#   include/kvsim/<folder>/*.h, lib/libkvsim_*.a  the libraries
#   lib/cmake/kvsim/                            find_package(kvsim): targets kvsim::kvsim_<folder>
#   lib/python3/dist-packages/kvsim/            `import kvsim` (when KVSIM_PYTHON)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS kvsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
get_property(kvsim_libraries GLOBAL PROPERTY KVSIM_LIBRARIES)
install(TARGETS ${kvsim_libraries} EXPORT kvsimTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT kvsimTargets NAMESPACE kvsim:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kvsim)
foreach(folder sim hardware models protocols scenarios results private_decode app/runner app/kinds)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/ DESTINATION include/kvsim/${folder}
          FILES_MATCHING PATTERN "*.h" PATTERN "profiles" EXCLUDE PATTERN "zoo" EXCLUDE)
endforeach()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/hardware/profiles/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kvsim/profiles)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/zoo/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kvsim/zoo)
install(FILES ${PROJECT_SOURCE_DIR}/models/small/kvsim-byte-lm.bin ${PROJECT_SOURCE_DIR}/models/small/kvsim-byte-lm-v1.bin DESTINATION ${CMAKE_INSTALL_DATADIR}/kvsim/small)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kvsim/scenarios
        FILES_MATCHING PATTERN "*.toml" PATTERN "*.txt" PATTERN "CMakeLists.txt" EXCLUDE)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/tools/plot.py ${PROJECT_SOURCE_DIR}/tools/slurm/kvsim-sweep-array.sh
        DESTINATION ${CMAKE_INSTALL_DATADIR}/kvsim/tools)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/results/SCHEMA.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/kvsimConfig.cmake.in
  ${PROJECT_BINARY_DIR}/kvsimConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kvsim)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/kvsimConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/kvsimConfig.cmake ${PROJECT_BINARY_DIR}/kvsimConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kvsim)

# `cpack -G DEB` (in the build folder): a Debian package of the same install, its library
# dependencies found by dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME kvsim)
set(CPACK_PACKAGE_VENDOR "kvsim")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "discrete-event simulation and cost modeling of LLM decoding under MPC and memory limits")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "kvsim developers <kvsim@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
include(CPack)
