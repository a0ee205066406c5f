/* ratls compose-hash APP_COMPOSE.json [--canonical] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage_compose(void)
{
    fprintf(stderr, "usage: ratls compose-hash APP_COMPOSE.json [--canonical]\n"
                    "  prints the dstack compose hash (as dstack-sdk get_compose_hash computes it), or with\n"
                    "  --canonical the JSON text that is hashed\n");
}

int cmd_compose(int argc, char **argv)
{
    const char *path = NULL;
    int canonical = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--canonical") == 0)
            canonical = 1;
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else {
            usage_compose();
            return EXIT_USAGE;
        }
    }
    if (!path) {
        usage_compose();
        return EXIT_USAGE;
    }
    uint8_t *buf;
    size_t len;
    /* read past the limit so that the library is the one to refuse the size */
    if (cli_read_file(path, 2u * RATLS_COMPOSE_MAX_LEN, &buf, &len))
        return EXIT_USAGE;
    char err[512] = "";
    char *text = NULL;
    uint8_t h[32];
    ratls_status s = canonical ? ratls_compose_canonical(buf, len, &text, err, sizeof err)
                               : ratls_compose_hash(buf, len, h, err, sizeof err);
    free(buf);
    if (s != RATLS_OK) {
        fprintf(stderr, "ratls: %s: %s\n", path, err[0] ? err : ratls_status_str(s));
        return EXIT_REJECTED;
    }
    if (canonical) {
        printf("%s\n", text);
        ratls_free_string(text);
    } else {
        for (size_t i = 0; i < sizeof h; i++)
            printf("%02x", h[i]);
        printf("\n");
    }
    return EXIT_VERIFIED;
}
