#ifndef SPOOL_CLMDB_SHIM_H
#define SPOOL_CLMDB_SHIM_H
#include <lmdb.h>
#endif
