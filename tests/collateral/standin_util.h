/*
 * Test support shared by the tests that run a loopback stand-in
 * (tests/collateral/pcs_standin.py, tests/collateral/kds_standin.py): files
 * and folders, starting and stopping the stand-in, its control API
 * (/__reset, /__fault, /__stats, ...). Failures end the running cmocka test.
 */
#ifndef RATLS_TESTS_STANDIN_UTIL_H
#define RATLS_TESTS_STANDIN_UTIL_H

#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>

#include "base/util.h"

/* Write len bytes of buf to path (the test fails if it cannot). */
void write_bytes(const char *path, const void *buf, size_t len);
/* Remove path, and everything below it when it is a folder. */
void rm_rf(const char *path);

typedef struct standin {
    pid_t pid;
    int in_fd; /* its stdin: closing it stops the stand-in */
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
} standin;

/* Run `/usr/bin/python3 script args...` (args NULL-terminated, or NULL for
 * none) and wait for the "PORT <n>" line it prints. */
void standin_start(standin *sd, const char *script, const char *const *args);
/* Close its stdin and wait for it to end (a no-op when it is not running). */
void standin_stop(standin *sd);

/* A control request (the path after the base, printf-style): must answer
 * 200. Returns the body (caller frees). */
char *standin_ctl_body(const standin *sd, const char *fmt, ...) RATLS_PRINTF(2, 3);
#define standin_ctl(sd, ...) free(standin_ctl_body(sd, __VA_ARGS__))

/* /__fault?route=R&mode=M&count=N[&arg=A] */
void standin_fault(const standin *sd, const char *route, const char *mode, int count, const char *arg);
/* The stand-in's count under `key` in /__stats (0 when absent). */
long standin_stat(const standin *sd, const char *key);

#endif
