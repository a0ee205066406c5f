/* Benchmarks' helper: start a server process and learn its port. */
#include "spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int bench_spawn(char *const argv[], const char *marker, bench_child *c)
{
    int in[2], out[2];
    memset(c, 0, sizeof(*c));
    if (pipe(in) != 0 || pipe(out) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0 && !getenv("RATLS_TEST_VERBOSE")) /* set it to see the child's log */
            dup2(devnull, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    char line[512];
    size_t n = 0;
    int port = 0;
    for (;;) {
        char ch;
        if (read(out[0], &ch, 1) != 1)
            break;
        if (ch != '\n' && n + 1 < sizeof(line)) {
            line[n++] = ch;
            continue;
        }
        line[n] = 0;
        n = 0;
        const char *m = strstr(line, marker);
        if (m && (port = atoi(m + strlen(marker))) > 0)
            break;
    }
    close(out[0]);
    if (port <= 0) {
        close(in[1]);
        waitpid(pid, NULL, 0);
        return -1;
    }
    c->pid = pid;
    c->to_child = in[1];
    c->port = port;
    return 0;
}

void bench_reap(bench_child *c)
{
    if (c->pid <= 0)
        return;
    close(c->to_child);
    kill(c->pid, SIGTERM);
    waitpid(c->pid, NULL, 0);
    c->pid = 0;
}
