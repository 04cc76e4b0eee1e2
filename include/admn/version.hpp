// admn/version.hpp — the library's version (semantic versioning), the same as CMake's
// project(admn VERSION …); the configure step fails when the two disagree.
// No includes: cheap enough for admn/fwd.hpp.
#pragma once

#define ADMN_VERSION_MAJOR 0
#define ADMN_VERSION_MINOR 1
#define ADMN_VERSION_PATCH 0
#define ADMN_VERSION_STRING "0.1.0"

// One comparable number, e.g. `#if ADMN_VERSION >= 1200` for 0.12.0 and later.
#define ADMN_VERSION (ADMN_VERSION_MAJOR * 10000 + ADMN_VERSION_MINOR * 100 + ADMN_VERSION_PATCH)
