/* vcrypto: command-line front end of libvcrypto (docs/CLI.md).
 *
 *   vcrypto [--device SPEC] COMMAND [options]
 *
 * Exit status: 0 success, 1 the operation failed (including "signature does
 * not verify" and "authentication failed"), 2 bad command line.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/log.h"

struct command {
    const char *name;
    uint32_t bit;
    int (*run)(struct cli_opts *o);
    const char *args;
    const char *summary;
};

static int run_enc(struct cli_opts *o)
{
    return cli_cmd_enc(o, false);
}
static int run_dec(struct cli_opts *o)
{
    return cli_cmd_enc(o, true);
}
static int run_aead_enc(struct cli_opts *o)
{
    return cli_cmd_aead(o, false);
}
static int run_aead_dec(struct cli_opts *o)
{
    return cli_cmd_aead(o, true);
}

static const struct command commands[] = {
    {"info", CLI_C_INFO, cli_cmd_info, "[--json]",
     "device services, algorithms, limits, features"},
    {"enc", CLI_C_ENC, run_enc, "-a ALG -k HEX [--iv HEX] [-in F] [-out F]",
     "encrypt (AES ECB/CBC/CTR/XTS, 3DES), streaming"},
    {"dec", CLI_C_DEC, run_dec, "-a ALG -k HEX [--iv HEX] [-in F] [-out F]",
     "decrypt, streaming"},
    {"dgst", CLI_C_DGST, cli_cmd_dgst, "-a HASH [-in F]", "hash (whole input, <= max_size)"},
    {"mac", CLI_C_MAC, cli_cmd_mac, "-a MAC -k HEX [-in F]", "MAC (whole input, <= max_size)"},
    {"aead-enc", CLI_C_AEAD_ENC, run_aead_enc, "-a ALG -k HEX --iv HEX [--aad HEX]",
     "AEAD encrypt: output ciphertext || tag"},
    {"aead-dec", CLI_C_AEAD_DEC, run_aead_dec, "-a ALG -k HEX --iv HEX [--aad HEX]",
     "AEAD decrypt: input ciphertext || tag"},
    {"sign", CLI_C_SIGN, cli_cmd_sign, "--key KEY.pem [--digest sha256] [-in F]",
     "RSA PKCS#1 v1.5 / ECDSA signature"},
    {"verify", CLI_C_VERIFY, cli_cmd_verify, "--key KEY.pem --sig F [-in F]",
     "verify a signature (exit 1 if it does not verify)"},
    {"stats", CLI_C_STATS, cli_cmd_stats, "--ctl PATH [--json]", "vcryptod statistics"},
    {"bench", CLI_C_BENCH, cli_cmd_bench, "[-a LIST] [--sizes LIST] [--quick] [--json]",
     "throughput vs native OpenSSL"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: vcrypto [-v] [--device SPEC] COMMAND [options]\n"
               "  SPEC: inproc (default, or $VCRYPTO_DEVICE) | vhost-user:/path.sock\n"
               "  -v: library diagnostics on stderr (-vv: debug)\n"
               "commands:\n");
    for (size_t i = 0; i < VC_ARRAY_SIZE(commands); i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "'vcrypto COMMAND --help' lists a command's options; see docs/CLI.md.\n");
}

static void command_help(const struct command *c)
{
    printf("usage: vcrypto [--device SPEC] %s %s\n%s\noptions:\n", c->name, c->args, c->summary);
    cli_print_opts(stdout, c->bit);
}

int main(int argc, char **argv)
{
    struct cli_opts o = {0};
    const struct command *c = NULL;
    int i = 1;

    int verbose = 0;

    o.device = getenv("VCRYPTO_DEVICE");
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose++;
        } else if (strcmp(argv[i], "--device") == 0 || strcmp(argv[i], "-d") == 0) {
            if (i + 1 >= argc) {
                cli_err("--device needs an argument (inproc or vhost-user:PATH)");
                return CLI_EXIT_USAGE;
            }
            o.device = argv[++i];
        } else if (strncmp(argv[i], "--device=", 9) == 0) {
            o.device = argv[i] + 9;
        } else {
            cli_err("unknown option '%s' (see 'vcrypto --help')", argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    /* The tool prints one line of its own for every failure; the library's
     * diagnostics only with -v (errors/warnings) or -vv (everything). */
    if (verbose)
        vc_log_set(vc_log_stderr, NULL, verbose > 1 ? VC_LOG_DEBUG : VC_LOG_WARN);
    else
        vc_log_set(NULL, NULL, VC_LOG_ERR);
    if (i >= argc) {
        cli_err("no command given (see 'vcrypto --help')");
        return CLI_EXIT_USAGE;
    }
    for (size_t j = 0; j < VC_ARRAY_SIZE(commands); j++) {
        if (strcmp(argv[i], commands[j].name) == 0)
            c = &commands[j];
    }
    if (!c) {
        cli_err("unknown command '%s' (see 'vcrypto --help')", argv[i]);
        return CLI_EXIT_USAGE;
    }
    cli_cmd = c->name;
    for (int j = i + 1; j < argc; j++) {
        if (strcmp(argv[j], "-h") == 0 || strcmp(argv[j], "--help") == 0) {
            command_help(c);
            return CLI_EXIT_OK;
        }
    }
    if (cli_parse_opts(argc - i - 1, argv + i + 1, c->bit, &o) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    return c->run(&o);
}
