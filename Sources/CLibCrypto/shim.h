#ifndef SPOOL_CLIBCRYPTO_SHIM_H
#define SPOOL_CLIBCRYPTO_SHIM_H
// OpenSSL 3 marks SHA256_Init/Update/Final deprecated in favour of EVP, whose lookup and context
// allocation cost more than hashing a record. They are still part of its API; the macro only
// silences the attribute.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/rand.h>
#include <openssl/sha.h>
#endif
