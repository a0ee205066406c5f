/* Benchmarks' helper: start a server process and learn its port. */
#ifndef RATLS_BENCH_SPAWN_H
#define RATLS_BENCH_SPAWN_H

#include <sys/types.h>

typedef struct bench_child {
    pid_t pid;
    int to_child; /* its stdin: closing it stops the server */
    int port;
} bench_child;

/* Run argv (argv[0] a path); read its stdout until a line contains
 * `marker`, followed by the port number. 0 on success. */
int bench_spawn(char *const argv[], const char *marker, bench_child *c);
/* Close its stdin, signal it, wait for it. */
void bench_reap(bench_child *c);

#endif
