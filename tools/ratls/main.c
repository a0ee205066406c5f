/* ratls — prove a server runs in a TEE before talking to it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(void)
{
    fprintf(
        stderr,
        "ratls %s — remote attestation for TLS servers in Intel TDX / AMD SEV-SNP\n\n"
        "usage:\n"
        "  ratls verify https://HOST[:PORT] [--policy FILE] [--insecure-test-root ROOT.pem] [--json]\n"
        "  ratls quote show QUOTE [--json]\n"
        "  ratls quote verify QUOTE [--collateral FILE | --pccs-url URL | --offline] [--at UNIX_SECONDS]\n"
        "                     [--allow-status S1,S2] [--json]\n"
        "  ratls collateral fetch QUOTE [--pccs-url URL] [-o FILE]\n"
        "  ratls evidence verify RESPONSE.json --cert CERT --nonce HEX --policy POLICY.json [--collateral FILE]\n"
        "  ratls sim generate --out DIR [--scenario NAME] [--at UNIX_SECONDS]\n"
        "  ratls sim [--port N] [--host ADDR] [--state-dir DIR] [--misbehave MODE] [--delay-ms MS]\n"
        "            [--exit-on-stdin-eof]   (a simulated dstack TDX server over HTTPS)\n"
        "  ratls snp show REPORT [--json]\n"
        "  ratls snp verify REPORT --vcek CERT [--ask CERT] [--ark CERT] [--product NAME] [--at UNIX_SECONDS]\n"
        "                   [--crl CRL | --skip-revocation-insecure] [--vmpl N] [--allow-debug-insecure] [--json]\n"
        "  ratls demo [--json]\n"
        "  ratls compose-hash APP_COMPOSE.json [--canonical]\n\n"
        "Exit status: 0 verified and accepted; 1 not verified or not accepted; 2 usage error or unreadable input.\n",
        ratls_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "quote") == 0)
        return cmd_quote(argc - 2, argv + 2);
    if (strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 2, argv + 2);
    if (strcmp(argv[1], "collateral") == 0)
        return cmd_collateral(argc - 2, argv + 2);
    if (strcmp(argv[1], "sim") == 0)
        return cmd_sim(argc - 2, argv + 2);
    if (strcmp(argv[1], "policy") == 0)
        return cmd_policy(argc - 2, argv + 2);
    if (strcmp(argv[1], "evidence") == 0)
        return cmd_evidence(argc - 2, argv + 2);
    if (strcmp(argv[1], "eventlog") == 0)
        return cmd_eventlog(argc - 2, argv + 2);
    if (strcmp(argv[1], "compose-hash") == 0)
        return cmd_compose(argc - 2, argv + 2);
    if (strcmp(argv[1], "snp") == 0)
        return cmd_snp(argc - 2, argv + 2);
    if (strcmp(argv[1], "demo") == 0)
        return cmd_demo(argc - 2, argv + 2);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("ratls %s\n", ratls_version());
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage();
        return 0;
    }
    usage();
    return EXIT_USAGE;
}
