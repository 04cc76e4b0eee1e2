# `cmake --install` puts the headers and a relocatable package config in place so
# that a user's project can call find_package(admn) and link admn::admn.
include(CMakePackageConfigHelpers)

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/admn" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS admn admn_native EXPORT admnTargets)

set(ADMN_CMAKE_DIR "${CMAKE_INSTALL_DATADIR}/cmake/admn")
install(EXPORT admnTargets NAMESPACE admn:: DESTINATION "${ADMN_CMAKE_DIR}")
set(ADMN_INCLUDE_INSTALL_DIR "${CMAKE_INSTALL_INCLUDEDIR}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/admnConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/admnConfig.cmake"
                              INSTALL_DESTINATION "${ADMN_CMAKE_DIR}" PATH_VARS ADMN_INCLUDE_INSTALL_DIR)
# Header-only: the package fits any architecture.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/admnConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
# admn_add_kernels compiles the kernel sources installed with the headers (admn/kernels/isa).
install(FILES "${PROJECT_BINARY_DIR}/admnConfig.cmake" "${PROJECT_BINARY_DIR}/admnConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/admnKernels.cmake" DESTINATION "${ADMN_CMAKE_DIR}")
