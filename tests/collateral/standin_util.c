/* Test support for the loopback stand-ins: see standin_util.h. */
#include "standin_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "net/http.h"
#include "ratls/ratls.h"

extern char **environ;

void write_bytes(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

void standin_start(standin *sd, const char *script, const char *const *args)
{
    int in[2], out[2];
    memset(sd, 0, sizeof *sd);
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    /* no other child may inherit the ends: the stand-in stops at EOF on stdin */
    for (int i = 0; i < 2; i++) {
        fcntl(in[i], F_SETFD, FD_CLOEXEC);
        fcntl(out[i], F_SETFD, FD_CLOEXEC);
    }
    char *argv[16];
    size_t argc = 0;
    argv[argc++] = (char *)"/usr/bin/python3";
    argv[argc++] = (char *)script;
    for (; args && *args; args++) {
        assert_true(argc + 1 < sizeof argv / sizeof argv[0]);
        argv[argc++] = (char *)*args;
    }
    argv[argc] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    int rc = posix_spawn(&sd->pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0)
        fail_msg("cannot start %s: %s", script, strerror(rc));
    sd->in_fd = in[1];
    char line[64];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        ssize_t k = read(out[0], line + n, 1);
        if (k <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = 0;
    close(out[0]);
    if (sscanf(line, "PORT %d", &sd->port) != 1 || sd->port <= 0)
        fail_msg("the stand-in did not announce its port (got \"%s\")", line);
    snprintf(sd->base, sizeof sd->base, "http://127.0.0.1:%d", sd->port);
}

void standin_stop(standin *sd)
{
    if (sd->pid <= 0)
        return;
    close(sd->in_fd);
    int st = 0;
    waitpid(sd->pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        printf("  (stand-in %d ended with status 0x%x)\n", (int)sd->pid, st);
    sd->pid = 0;
}

char *standin_ctl_body(const standin *sd, const char *fmt, ...)
{
    char path[2048], url[2200], err[1024] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    snprintf(url, sizeof url, "%s%s", sd->base, path);
    http_opts o = {.connect_timeout_ms = 3000,
                   .total_timeout_ms = 5000,
                   .max_body = 1u << 20,
                   .retries = 0,
                   .backoff_ms = 10,
                   .max_retry_wait_ms = 0,
                   .tls_verify = 1};
    http_resp r;
    ratls_status st = http_get(&o, url, NULL, &r, err, sizeof err);
    if (st != RATLS_OK)
        fail_msg("control request %s failed: %s (%s)", url, ratls_status_name(st), err);
    char *body = (char *)r.body;
    r.body = NULL;
    http_resp_clear(&r);
    return body;
}

void standin_fault(const standin *sd, const char *route, const char *mode, int count, const char *arg)
{
    if (arg)
        standin_ctl(sd, "/__fault?route=%s&mode=%s&count=%d&arg=%s", route, mode, count, arg);
    else
        standin_ctl(sd, "/__fault?route=%s&mode=%s&count=%d", route, mode, count);
}

long standin_stat(const standin *sd, const char *key)
{
    char *body = standin_ctl_body(sd, "/__stats");
    json_t *o = json_loads(body, 0, NULL);
    assert_non_null(o);
    json_t *v = json_object_get(o, key);
    long n = json_is_integer(v) ? (long)json_integer_value(v) : 0;
    json_decref(o);
    free(body);
    return n;
}
