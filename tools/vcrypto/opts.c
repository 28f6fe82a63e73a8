/* Option parsing for every subcommand: one table (STYLE.md rule 7).
 *
 * Options follow OpenSSL's spelling where OpenSSL has one (-a is ours, -k,
 * -in, -out, -nopad); each has a GNU-style long form too, and "--opt=value"
 * works for the long forms. A subcommand rejects options that are not
 * marked for it, so a typo never silently does nothing.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum opt_kind { OPT_STR, OPT_U32, OPT_SIZE, OPT_FLAG };

struct opt {
    const char *shrt; /* "-a", "-in"... or NULL */
    const char *lng;  /* "--alg" */
    enum opt_kind kind;
    size_t off; /* field in struct cli_opts */
    uint32_t cmds;
    const char *arg;  /* argument name for help */
    const char *help;
};

#define SYM (CLI_C_ENC | CLI_C_DEC)
#define AEAD (CLI_C_AEAD_ENC | CLI_C_AEAD_DEC)
#define PK (CLI_C_SIGN | CLI_C_VERIFY)
#define DATA (SYM | CLI_C_DGST | CLI_C_MAC | AEAD | PK)
#define F(x) offsetof(struct cli_opts, x)

static const struct opt opt_table[] = {
    {"-a", "--alg", OPT_STR, F(alg), DATA | CLI_C_BENCH, "ALG",
     "algorithm (bench: comma-separated list)"},
    {"-k", "--key-hex", OPT_STR, F(key_hex), SYM | CLI_C_MAC | AEAD, "HEX",
     "key in hex"},
    {NULL, "--iv", OPT_STR, F(iv_hex), SYM | AEAD, "HEX", "IV / nonce in hex"},
    {NULL, "--aad", OPT_STR, F(aad_hex), AEAD, "HEX", "additional authenticated data in hex"},
    {NULL, "--tag-len", OPT_U32, F(tag_len), AEAD, "N", "AEAD tag length in bytes"},
    {NULL, "--len", OPT_U32, F(out_len), CLI_C_DGST | CLI_C_MAC, "N",
     "digest/MAC length in bytes (SHAKE output length)"},
    {"-in", "--in", OPT_STR, F(in), DATA, "FILE", "input (default stdin)"},
    {"-out", "--out", OPT_STR, F(out), DATA, "FILE", "output (default stdout)"},
    {"-nopad", "--nopad", OPT_FLAG, F(nopad), SYM, NULL,
     "no PKCS#7 padding for ECB/CBC (input must be whole blocks)"},
    {NULL, "--chunk", OPT_SIZE, F(chunk), SYM, "BYTES", "bytes per request (default 16k)"},
    {NULL, "--inflight", OPT_U32, F(inflight), SYM, "N",
     "requests in flight (default 8; CBC encryption is serial)"},
    {NULL, "--key", OPT_STR, F(key_file), PK, "FILE.pem", "PEM private or public key"},
    {NULL, "--sig", OPT_STR, F(sig_file), CLI_C_VERIFY, "FILE", "signature to verify"},
    {NULL, "--digest", OPT_STR, F(digest), PK, "HASH",
     "hash of the message: sha1, sha224, sha256 (default), sha384, sha512"},
    {NULL, "--prehashed", OPT_FLAG, F(prehashed), PK, NULL, "the input is already the digest"},
    {NULL, "--binary", OPT_FLAG, F(binary), CLI_C_DGST | CLI_C_MAC, NULL,
     "write the raw digest instead of hex"},
    {NULL, "--ctl", OPT_STR, F(ctl), CLI_C_STATS, "PATH", "vcryptod --ctl-socket path"},
    {NULL, "--json", OPT_FLAG, F(json), CLI_C_STATS | CLI_C_BENCH | CLI_C_INFO, NULL,
     "machine-readable JSON output"},
    {NULL, "--sizes", OPT_STR, F(sizes), CLI_C_BENCH, "LIST",
     "message sizes (default 64,256,1024,4096,16384)"},
    {NULL, "--devices", OPT_STR, F(devices), CLI_C_BENCH, "LIST",
     "devices to compare, comma-separated (default: --device)"},
    {NULL, "--burst", OPT_U32, F(burst), CLI_C_BENCH, "N", "ops per enqueue call (default 32)"},
    {NULL, "--time-ms", OPT_U32, F(time_ms), CLI_C_BENCH, "MS",
     "time per cell and target (default 600; 150 with --quick)"},
    {NULL, "--rounds", OPT_U32, F(rounds), CLI_C_BENCH, "N",
     "interleaved rounds per cell (default 5; 3 with --quick)"},
    {NULL, "--quick", OPT_FLAG, F(quick), CLI_C_BENCH, NULL, "short run"},
    {NULL, "--spin", OPT_FLAG, F(spin), CLI_C_BENCH, NULL,
     "poll for completions instead of sleeping on the eventfd"},
    {NULL, "--plot", OPT_STR, F(plot), CLI_C_BENCH, "FILE.png", "PNG plot (needs gnuplot)"},
    {NULL, "--save", OPT_STR, F(save), CLI_C_BENCH, "FILE.json", "also write JSON results here"},
};

static bool set_value(const struct opt *op, const char *val, struct cli_opts *o)
{
    char *field = (char *)o + op->off;
    uint64_t v;
    char *end;

    switch (op->kind) {
    case OPT_STR:
        memcpy(field, &val, sizeof(val));
        return true;
    case OPT_U32:
        errno = 0;
        v = strtoull(val, &end, 10);
        if (errno || end == val || *end || val[0] == '-' || v > UINT32_MAX) {
            cli_err("%s: not a number: '%s'", op->lng, val);
            return false;
        }
        *(uint32_t *)(void *)field = (uint32_t)v;
        return true;
    case OPT_SIZE:
        if (!cli_parse_size(val, &v) || v > UINT32_MAX) {
            cli_err("%s: not a size: '%s'", op->lng, val);
            return false;
        }
        *(uint32_t *)(void *)field = (uint32_t)v;
        return true;
    case OPT_FLAG:
    default:
        *(bool *)(void *)field = true;
        return true;
    }
}

/* Matches word against op; *inline_val gets the part after '=' of a long
 * option. */
static bool matches(const struct opt *op, const char *word, const char **inline_val)
{
    size_t n;

    *inline_val = NULL;
    if (op->shrt && strcmp(word, op->shrt) == 0)
        return true;
    n = strlen(op->lng);
    if (strncmp(word, op->lng, n) != 0)
        return false;
    if (word[n] == '\0')
        return true;
    if (word[n] == '=' && op->kind != OPT_FLAG) {
        *inline_val = word + n + 1;
        return true;
    }
    return false;
}

int cli_parse_opts(int argc, char **argv, uint32_t cmd, struct cli_opts *o)
{
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        const struct opt *hit = NULL;
        const char *val = NULL;

        for (size_t j = 0; j < VC_ARRAY_SIZE(opt_table); j++) {
            if (matches(&opt_table[j], w, &val)) {
                hit = &opt_table[j];
                break;
            }
        }
        if (!hit) {
            if (w[0] == '-')
                cli_err("unknown option '%s' (see 'vcrypto %s --help')", w, cli_cmd);
            else
                cli_err("unexpected argument '%s' (see 'vcrypto %s --help')", w, cli_cmd);
            return CLI_EXIT_USAGE;
        }
        if (!(hit->cmds & cmd)) {
            cli_err("option '%s' does not apply to '%s'", w, cli_cmd);
            return CLI_EXIT_USAGE;
        }
        if (hit->kind != OPT_FLAG && !val) {
            if (i + 1 >= argc) {
                cli_err("option '%s' needs an argument (%s)", w, hit->arg);
                return CLI_EXIT_USAGE;
            }
            val = argv[++i];
        }
        if (!set_value(hit, val, o))
            return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

void cli_print_opts(FILE *f, uint32_t cmd)
{
    for (size_t j = 0; j < VC_ARRAY_SIZE(opt_table); j++) {
        const struct opt *op = &opt_table[j];
        char names[48];

        if (!(op->cmds & cmd))
            continue;
        snprintf(names, sizeof(names), "%s%s%s %s", op->shrt ? op->shrt : "",
                 op->shrt ? ", " : "", op->lng, op->arg ? op->arg : "");
        fprintf(f, "  %-26s %s\n", names, op->help);
    }
}
