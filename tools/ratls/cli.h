/* The ratls command-line tool: shared helpers. Exit codes: 0 verified,
 * 1 not verified / not accepted, 2 usage error or unreadable input. */
#ifndef RATLS_CLI_H
#define RATLS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

#define EXIT_VERIFIED 0
#define EXIT_REJECTED 1
#define EXIT_USAGE 2

/* Read a whole file (capped). 0 on success; prints the reason on failure. */
int cli_read_file(const char *path, size_t cap, uint8_t **out, size_t *len);
/* Read a quote file: binary, or hex (optional 0x, whitespace ignored). */
int cli_read_quote(const char *path, uint8_t **out, size_t *len);
/* argv[first..] is one PATH and, optionally, --json: 0, or -1 (a usage error). */
int cli_path_and_json(int argc, char **argv, int first, const char **path, int *json);
int cli_write_file(const char *path, const void *buf, size_t len);
int cli_parse_time(const char *s, int64_t *out);
/* --at VALUE (Unix seconds): 0, or -1 after saying why. */
int cli_opt_at(const char *val, int64_t *now);
/* --insecure-test-root PATH: trust it instead of Intel's root. 0, or -1 after
 * saying why; with `warn`, says on stderr that the root is INSECURE. */
int cli_trust_test_root(ratls_verifier *v, const char *path, int warn);
/* Print a result as a checklist. */
void cli_print_checklist(const ratls_result *r, const char *title, int64_t now);
/* Print a result as JSON (adds "verified_at"). */
void cli_print_json(const ratls_result *r, int64_t now);
void cli_print_error_json(const char *msg);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void cli_hex(const uint8_t *b, size_t n, char *out);
/* Print a verification result (JSON or checklist) and return its exit status. */
int cli_report(const ratls_result *res, ratls_status s, int json, const char *title, int64_t now);

/* Collateral-source options shared by the verifying commands. */
typedef struct cli_source_opts {
    const char *pccs_url, *pcs_url, *root_crl_url, *kds_url, *cache_dir;
    int offline, no_disk, no_tls_verify, quiet;
    long timeout_ms;
} cli_source_opts;
extern const char *const cli_source_usage;
/* argv[i] is a source option: returns how many arguments it took (1 or 2),
 * 0 if it is not one, -1 on a bad value (message printed). */
int cli_source_opt(cli_source_opts *o, int argc, char **argv, int i);
/* A source configured from the options (default cache dir from
 * $XDG_CACHE_HOME or $HOME), progress lines on stderr unless quiet. */
ratls_collateral_source *cli_source_new(const cli_source_opts *o);

int cmd_quote(int argc, char **argv);
int cmd_collateral(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_sim_server(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_eventlog(int argc, char **argv);
int cmd_evidence(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_compose(int argc, char **argv);
int cmd_snp(int argc, char **argv);

#endif
