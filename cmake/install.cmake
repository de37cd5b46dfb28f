# cmake/install.cmake: what `cmake --install` puts under a prefix, so that a
# driver project can use dmarace without its source tree (docs/byod.md, "An
# installed dmarace"):
#   bin/dmarace                              the CLI with the built-in scenarios
#   include/dmarace/                         the model's headers (wdf.h, ntddk.h...), dr/*.h, scn.h
#   lib/dmarace/libdr_*.a                    the libraries (DR_PACKAGE_LIBRARIES)
#   lib/cmake/dmarace/                       find_package(dmarace): the targets dmarace::dr_*, dmarace_add_driver
#   lib/pkgconfig/dmarace.pc                 the same for other build systems
# The libraries are this build's flavour (compiler, build type, DR_SANITIZER):
# a driver built with them is built the same way (dmaraceConfig.cmake checks
# the compiler). Included by the top-level CMakeLists.txt after the targets.
include(CMakePackageConfigHelpers)

set(DR_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/dmarace")
set(DR_INSTALL_LIBDIR "${CMAKE_INSTALL_LIBDIR}/dmarace")

install(TARGETS dmarace RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(TARGETS ${DR_PACKAGE_LIBRARIES} EXPORT dmaraceTargets ARCHIVE DESTINATION "${DR_INSTALL_LIBDIR}")
install(EXPORT dmaraceTargets NAMESPACE dmarace:: DESTINATION "${DR_INSTALL_CMAKEDIR}")
# One include directory, as a driver's build sees the model's headers, the
# generated WDK facts (cmake/dmarace_wdk_facts.cmake) among them.
get_directory_property(DR_WDK_GEN_DIR DIRECTORY "${PROJECT_SOURCE_DIR}/model" DEFINITION DR_WDK_GEN_DIR)
if(NOT IS_DIRECTORY "${DR_WDK_GEN_DIR}")
  message(FATAL_ERROR "cmake/install.cmake: the generated WDK headers' directory is not known")
endif()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/model/include/" "${PROJECT_SOURCE_DIR}/harness/include/" "${DR_WDK_GEN_DIR}/"
        DESTINATION "${DR_INSTALL_INCLUDEDIR}")
install(FILES "${PROJECT_SOURCE_DIR}/scenarios/scn.h" DESTINATION "${DR_INSTALL_INCLUDEDIR}")

set(DR_PKG_DIR "${PROJECT_BINARY_DIR}/package")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/dmaraceConfig.cmake.in" "${DR_PKG_DIR}/dmaraceConfig.cmake"
                              INSTALL_DESTINATION "${DR_INSTALL_CMAKEDIR}" PATH_VARS DR_INSTALL_INCLUDEDIR)
# A driver links the libraries of exactly this version's layout.
write_basic_package_version_file("${DR_PKG_DIR}/dmaraceConfigVersion.cmake" COMPATIBILITY SameMinorVersion)
install(FILES "${DR_PKG_DIR}/dmaraceConfig.cmake" "${DR_PKG_DIR}/dmaraceConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/dmarace.cmake" "${PROJECT_SOURCE_DIR}/cmake/dmarace_check_symbols.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/dmarace_check_names.cmake" "${PROJECT_SOURCE_DIR}/cmake/dmarace_volatile.awk"
        DESTINATION "${DR_INSTALL_CMAKEDIR}")

# pkg-config: the prefix relative to the .pc file (relocatable, as the CMake
# package is); the driver flags as a variable of their own (C: the generator
# expression that limits one of them to C is resolved here).
string(REGEX REPLACE "[^/]+" ".." DR_PC_UP "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
string(REGEX REPLACE "\\$<\\$<COMPILE_LANGUAGE:C>:([^>]*)>" "\\1" DR_PC_DRIVER_CFLAGS "${DR_DRIVER_FLAGS}")
list(JOIN DR_PC_DRIVER_CFLAGS " " DR_PC_DRIVER_CFLAGS)
list(JOIN DR_HARNESS_SAN_COMPILE " " DR_PC_CFLAGS)
list(JOIN DR_SAN_LINK " " DR_PC_LIBS)
configure_file("${PROJECT_SOURCE_DIR}/cmake/dmarace.pc.in" "${DR_PKG_DIR}/dmarace.pc" @ONLY)
install(FILES "${DR_PKG_DIR}/dmarace.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
