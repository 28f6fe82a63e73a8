/* Device helpers shared by the subcommands: open, sessions, waiting for
 * completions.
 *
 * Waiting: the tool is not latency-critical outside `bench`, so it sleeps
 * on the queue's eventfd (vc_qp_arm() first, as vcrypto.h asks) rather than
 * spinning; a transport without an eventfd gets sched_yield().
 */
#include <poll.h>
#include <sched.h>
#include <string.h>

#include "cli.h"

int cli_dev_open(const struct cli_opts *o, uint64_t mem_size, struct vc_dev **dev)
{
    struct vc_dev_opts d;
    const char *spec = o->device ? o->device : "inproc";
    int rc;

    vc_dev_opts_init(&d);
    d.mem_size = mem_size ? mem_size : CLI_DEFAULT_MEM;
    rc = vc_dev_open(spec, &d, dev);
    if (rc == VC_EINVAL) {
        cli_err("bad device '%s' (want inproc or vhost-user:/path.sock)", spec);
        return CLI_EXIT_USAGE;
    }
    if (rc < 0) {
        cli_err("cannot open device '%s': %s", spec, vc_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

bool cli_dev_has(struct vc_dev *dev, const struct cli_alg *a)
{
    if (vc_dev_supports(dev, a->service, a->algo))
        return true;
    cli_err("the device does not offer %s (%s %s)", a->name, cli_service_name(a->service),
            cli_virtio_algo_name(a->service, a->algo));
    return false;
}

int cli_session(struct vc_dev *dev, const char *name, const struct vc_session_params *p,
                struct vc_session **out)
{
    int rc = vc_session_create(dev, p, out);

    if (rc == 0)
        return CLI_EXIT_OK;
    switch (rc) {
    case VC_EINVAL:
        cli_err("cannot create a session for %s: the device refused the parameters "
                "(key, IV or length not valid for this algorithm)",
                name);
        break;
    case VC_ERANGE:
        cli_err("cannot create a session for %s: key longer than the device allows", name);
        break;
    default:
        cli_err("cannot create a session for %s: %s", name, vc_strerror(rc));
        break;
    }
    return CLI_EXIT_FAIL;
}

uint16_t cli_wait(struct vc_qp *qp, struct vc_op **ops, uint16_t n)
{
    int fd = vc_qp_eventfd(qp);

    for (;;) {
        uint16_t got = vc_dequeue_burst(qp, ops, n);

        if (got || vc_qp_inflight(qp) == 0)
            return got;
        if (fd >= 0 && !vc_qp_arm(qp)) {
            struct pollfd p = {.fd = fd, .events = POLLIN};

            /* A bounded sleep: device loss is noticed by the next
             * dequeue, which then completes everything in flight. */
            (void)poll(&p, 1, 100);
        } else if (fd < 0) {
            sched_yield();
        }
    }
}

uint8_t cli_run_op(struct vc_qp *qp, struct vc_op *op)
{
    struct vc_op *done[1];

    while (vc_enqueue_burst(qp, &op, 1) == 0) {
        /* Full queue or lost device; in the latter case nothing will ever
         * be accepted, so give up with the driver's own status. */
        if (vc_qp_inflight(qp) == 0)
            return VC_OP_STATUS_DEVICE_LOST;
        (void)cli_wait(qp, done, 1);
    }
    for (;;) {
        if (cli_wait(qp, done, 1) == 1 && done[0] == op)
            return op->status;
    }
}

const char *cli_status_str(uint8_t status)
{
    switch (status) {
    case VIRTIO_CRYPTO_OK:
        return "ok";
    case VIRTIO_CRYPTO_ERR:
        return "the device refused the request (ERR: bad length or parameters)";
    case VIRTIO_CRYPTO_BADMSG:
        return "authentication failed (BADMSG)";
    case VIRTIO_CRYPTO_NOTSUPP:
        return "not supported by the device (NOTSUPP)";
    case VIRTIO_CRYPTO_INVSESS:
        return "invalid session (INVSESS)";
    case VIRTIO_CRYPTO_NOSPC:
        return "no space on the device (NOSPC)";
    case VIRTIO_CRYPTO_KEY_REJECTED:
        return "signature verification failed (KEY_REJECTED)";
    case VC_OP_STATUS_DEVICE_LOST:
        return "device lost";
    case VC_OP_STATUS_TOO_BIG:
        return "request too big for the device or the copy buffer";
    case VC_OP_STATUS_INVALID:
        return "request rejected by the driver (invalid)";
    case VC_OP_STATUS_NOTSUPP_LOCAL:
        return "stateless mode not negotiated";
    case VC_OP_STATUS_BAD_DEVICE:
        return "the device's answer failed validation";
    default:
        return "unknown status";
    }
}

void *cli_shm_copy(struct vc_dev *dev, const void *p, size_t len, void **shm)
{
    void *m = vc_mem_alloc(dev, len ? len : 1);

    *shm = m;
    if (!m)
        return (void *)(uintptr_t)p;
    if (len)
        memcpy(m, p, len);
    return m;
}

int cli_read_oneshot(const struct cli_opts *o, uint64_t limit, const char *why,
                     struct cli_buf *out)
{
    FILE *f = cli_open_in(o->in);
    bool too_big = false, ok;

    if (!f)
        return CLI_EXIT_FAIL;
    ok = cli_read_all(f, limit, out, &too_big);
    cli_close_in(f);
    if (ok)
        return CLI_EXIT_OK;
    if (too_big)
        cli_err("input larger than %llu bytes, the most one request can carry (%s)",
                (unsigned long long)limit, why);
    return CLI_EXIT_FAIL;
}
