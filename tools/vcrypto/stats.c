/* `vcrypto stats --ctl PATH`: vcryptod's statistics (docs/STATS.md).
 *
 * The daemon writes one JSON document and closes; we read until EOF with a
 * size cap and a receive timeout (a wedged daemon must not hang the tool).
 * --json prints the document as received; otherwise it is shown as a table
 * when the tool was built with jansson, else printed as received.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef VC_HAVE_JANSSON
#include <jansson.h>
#endif

#include "cli.h"

#define STATS_MAX (16u << 20)

static int fetch(const char *path, char **out, size_t *out_len)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = 5};
    size_t cap = 65536, len = 0;
    char *buf;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        cli_err("socket path too long: %s", path);
        return CLI_EXIT_USAGE;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        cli_err("cannot connect to '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return CLI_EXIT_FAIL;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    buf = malloc(cap + 1);
    for (;;) {
        ssize_t n;

        if (!buf) {
            cli_err("out of memory");
            close(fd);
            return CLI_EXIT_FAIL;
        }
        if (len == cap) {
            char *nb;

            if (cap >= STATS_MAX) {
                cli_err("statistics larger than %u bytes", STATS_MAX);
                free(buf);
                close(fd);
                return CLI_EXIT_FAIL;
            }
            cap *= 2;
            nb = realloc(buf, cap + 1);
            if (!nb)
                free(buf);
            buf = nb;
            continue;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cli_err("reading '%s': %s", path,
                    errno == EAGAIN ? "timed out after 5 s" : strerror(errno));
            free(buf);
            close(fd);
            return CLI_EXIT_FAIL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return CLI_EXIT_OK;
}

#ifdef VC_HAVE_JANSSON
static unsigned long long num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    return json_is_integer(v) ? (unsigned long long)json_integer_value(v) : 0;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "?";
}

static const char *yes(json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k)) ? "yes" : "no";
}

static int table(const char *text)
{
    static const char *const st_keys[] = {"ok", "err", "badmsg", "notsupp", "invsess",
                                          "nospc", "key_rejected"};
    json_error_t e;
    json_t *root = json_loads(text, 0, &e), *devs;
    size_t i, j;
    json_t *d, *q;

    if (!root) {
        cli_err("the daemon sent invalid JSON (line %d: %s)", e.line, e.text);
        return CLI_EXIT_FAIL;
    }
    devs = json_object_get(root, "devices");
    if (!json_is_array(devs)) {
        cli_err("the daemon's JSON has no \"devices\" array");
        json_decref(root);
        return CLI_EXIT_FAIL;
    }
    printf("vcryptod statistics (format %s), %zu device(s)\n",
           str(root, "version"), json_array_size(devs));
    json_array_foreach(devs, i, d)
    {
        json_t *qs = json_object_get(d, "queues");

        printf("\n%s: sessions %llu (created %llu, refused %llu, closed %llu), memory regions "
               "%llu, messages refused %llu, broken %s\n",
               str(d, "name"), num(d, "sessions"),
               num(d, "sessions_created"), num(d, "sessions_refused"), num(d, "sessions_closed"),
               num(d, "memory_regions"), num(d, "messages_refused"), yes(d, "broken"));
        printf("  %5s %-7s %7s %6s %12s %14s %14s %10s %10s", "queue", "type", "started",
               "broken", "requests", "bytes_in", "bytes_out", "kicks", "notifies");
        for (j = 0; j < VC_ARRAY_SIZE(st_keys); j++)
            printf(" %*s", j == 6 ? 12 : 8, st_keys[j]);
        printf("\n");
        json_array_foreach(qs, j, q)
        {
            json_t *st = json_object_get(q, "status");

            printf("  %5llu %-7s %7s %6s %12llu %14llu %14llu %10llu %10llu", num(q, "index"),
                   str(q, "type"), yes(q, "started"), yes(q, "broken"), num(q, "requests"),
                   num(q, "bytes_in"),
                   num(q, "bytes_out"), num(q, "kicks"), num(q, "notifies"));
            for (size_t k = 0; k < VC_ARRAY_SIZE(st_keys); k++)
                printf(" %*llu", k == 6 ? 12 : 8, num(st, st_keys[k]));
            printf("\n");
        }
    }
    json_decref(root);
    return CLI_EXIT_OK;
}
#endif

int cli_cmd_stats(struct cli_opts *o)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (!o->ctl) {
        cli_err("no control socket given (--ctl PATH, vcryptod's --ctl-socket)");
        return CLI_EXIT_USAGE;
    }
    rc = fetch(o->ctl, &text, &len);
    if (rc)
        return rc;
    if (len == 0) {
        cli_err("the daemon sent nothing");
        rc = CLI_EXIT_FAIL;
    } else if (o->json) {
        rc = fwrite(text, 1, len, stdout) == len ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    } else {
#ifdef VC_HAVE_JANSSON
        rc = table(text);
#else
        rc = fwrite(text, 1, len, stdout) == len ? CLI_EXIT_OK : CLI_EXIT_FAIL;
#endif
    }
    free(text);
    return rc;
}
