# The four libraries admn's headers use; all come from Debian packages
# (libeigen3-dev, libxsimd-dev, libtbb-dev, nlohmann-json3-dev).
include(GNUInstallDirs)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
# Debian's xsimd target links a target named `xtl` without finding it: find it first.
find_package(xtl REQUIRED)
find_package(xsimd 8 REQUIRED)
find_package(TBB REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
