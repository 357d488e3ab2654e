#ifndef SPOOL_CJEMALLOC_SHIM_H
#define SPOOL_CJEMALLOC_SHIM_H
// Nothing here is called: linking libjemalloc is enough for its malloc and free to replace the
// C library's in the whole process (see Sources/spoold/Spoold.swift). The header is included so
// that a missing libjemalloc-dev fails the build with a clear message.
#include <jemalloc/jemalloc.h>
#endif
