/* `vcrypto info`: what the device said in its config space and what was
 * negotiated, plus the CLI algorithm names usable on it. */
#include <string.h>

#include "cli.h"

static const struct {
    unsigned bit;
    const char *name;
} feature_names[] = {
    {VIRTIO_CRYPTO_F_REVISION_1, "REVISION_1"},
    {VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE, "CIPHER_STATELESS_MODE"},
    {VIRTIO_CRYPTO_F_HASH_STATELESS_MODE, "HASH_STATELESS_MODE"},
    {VIRTIO_CRYPTO_F_MAC_STATELESS_MODE, "MAC_STATELESS_MODE"},
    {VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE, "AEAD_STATELESS_MODE"},
    {VIRTIO_CRYPTO_F_AKCIPHER_STATELESS_MODE, "AKCIPHER_STATELESS_MODE"},
    {28, "RING_INDIRECT_DESC"},
    {29, "RING_EVENT_IDX"},
    {30, "PROTOCOL_FEATURES"},
    {32, "VERSION_1"},
    {33, "ACCESS_PLATFORM"},
    {34, "RING_PACKED"},
};

/* The algorithm bitmap of a service as (mask of ids 0..63). */
static uint64_t algo_mask(const struct vc_dev_info *in, uint32_t service)
{
    switch (service) {
    case VIRTIO_CRYPTO_SERVICE_CIPHER:
        return (uint64_t)in->cipher_algo_h << 32 | in->cipher_algo_l;
    case VIRTIO_CRYPTO_SERVICE_HASH:
        return in->hash_algo;
    case VIRTIO_CRYPTO_SERVICE_MAC:
        return (uint64_t)in->mac_algo_h << 32 | in->mac_algo_l;
    case VIRTIO_CRYPTO_SERVICE_AEAD:
        return in->aead_algo;
    case VIRTIO_CRYPTO_SERVICE_AKCIPHER:
        return in->akcipher_algo;
    default:
        return 0;
    }
}

static void print_algos(FILE *f, const struct vc_dev_info *in, uint32_t service, bool json)
{
    uint64_t m = algo_mask(in, service);
    bool first = true;

    for (unsigned id = 0; id < 64; id++) {
        const char *n;
        char tmp[16];

        if (!(m >> id & 1))
            continue;
        n = cli_virtio_algo_name(service, id);
        if (!n) {
            snprintf(tmp, sizeof(tmp), "#%u", id);
            n = tmp;
        }
        if (json)
            fprintf(f, "%s\"%s\"", first ? "" : ", ", n);
        else
            fprintf(f, " %s", n);
        first = false;
    }
}

static void print_text(const struct cli_opts *o, struct vc_dev *dev, const struct vc_dev_info *in)
{
    const struct cli_alg *a;
    size_t col;

    printf("device       %s\n", o->device ? o->device : "inproc");
    printf("transport    %s\n", in->transport);
    printf("features     0x%016llx", (unsigned long long)in->features);
    for (size_t i = 0; i < VC_ARRAY_SIZE(feature_names); i++) {
        if (in->features >> feature_names[i].bit & 1)
            printf(" %s", feature_names[i].name);
    }
    printf("\nstateless   ");
    for (uint32_t s = 0; s <= VIRTIO_CRYPTO_SERVICE_AKCIPHER; s++) {
        if (in->stateless >> s & 1)
            printf(" %s", cli_service_name(s));
    }
    if (!in->stateless)
        printf(" (none)");
    printf("\nqueues       %u in use (device max %u), %u entries each\n", in->num_queues,
           in->max_dataqueues, in->queue_size);
    printf("max_size     %llu bytes per request (IV + AAD + input + output)\n",
           (unsigned long long)in->max_size);
    printf("key limits   cipher %u bytes, auth %u bytes\n", in->max_cipher_key_len,
           in->max_auth_key_len);
    printf("services    ");
    for (uint32_t s = 0; s <= VIRTIO_CRYPTO_SERVICE_AKCIPHER; s++) {
        if (in->crypto_services >> s & 1)
            printf(" %s", cli_service_name(s));
    }
    printf("\n");
    for (uint32_t s = 0; s <= VIRTIO_CRYPTO_SERVICE_AKCIPHER; s++) {
        if (!(in->crypto_services >> s & 1))
            continue;
        printf("  %-10s", cli_service_name(s));
        print_algos(stdout, in, s, false);
        printf("\n");
    }
    printf("-a names    ");
    col = 12;
    for (size_t i = 0; (a = cli_alg_at(i)) != NULL; i++) {
        if (!vc_dev_supports(dev, a->service, a->algo))
            continue;
        if (col + 1 + strlen(a->name) > 99) {
            printf("\n            ");
            col = 12;
        }
        printf(" %s", a->name);
        col += 1 + strlen(a->name);
    }
    printf("\n");
}

static void print_json(const struct cli_opts *o, struct vc_dev *dev, const struct vc_dev_info *in)
{
    const struct cli_alg *a;
    bool first = true;

    printf("{\n  \"device\": \"%s\",\n  \"transport\": \"%s\",\n", o->device ? o->device : "inproc",
           in->transport);
    printf("  \"features\": %llu,\n  \"revision_1\": %s,\n  \"stateless_mask\": %u,\n",
           (unsigned long long)in->features, in->revision_1 ? "true" : "false", in->stateless);
    printf("  \"num_queues\": %u,\n  \"max_dataqueues\": %u,\n  \"queue_size\": %u,\n",
           in->num_queues, in->max_dataqueues, in->queue_size);
    printf("  \"max_size\": %llu,\n  \"max_cipher_key_len\": %u,\n  \"max_auth_key_len\": %u,\n",
           (unsigned long long)in->max_size, in->max_cipher_key_len, in->max_auth_key_len);
    printf("  \"services\": {");
    for (uint32_t s = 0; s <= VIRTIO_CRYPTO_SERVICE_AKCIPHER; s++) {
        if (!(in->crypto_services >> s & 1))
            continue;
        printf("%s\n    \"%s\": [", first ? "" : ",", cli_service_name(s));
        print_algos(stdout, in, s, true);
        printf("]");
        first = false;
    }
    printf("\n  },\n  \"cli_algorithms\": [");
    first = true;
    for (size_t i = 0; (a = cli_alg_at(i)) != NULL; i++) {
        if (!vc_dev_supports(dev, a->service, a->algo))
            continue;
        printf("%s\"%s\"", first ? "" : ", ", a->name);
        first = false;
    }
    printf("]\n}\n");
}

int cli_cmd_info(struct cli_opts *o)
{
    struct vc_dev_info in;
    struct vc_dev *dev;
    int rc;

    rc = cli_dev_open(o, 1024 * 1024, &dev);
    if (rc)
        return rc;
    rc = vc_dev_info(dev, &in);
    if (rc < 0) {
        cli_err("cannot read the device info: %s", vc_strerror(rc));
        vc_dev_close(dev);
        return CLI_EXIT_FAIL;
    }
    in.transport[sizeof(in.transport) - 1] = '\0';
    if (o->json)
        print_json(o, dev, &in);
    else
        print_text(o, dev, &in);
    vc_dev_close(dev);
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
