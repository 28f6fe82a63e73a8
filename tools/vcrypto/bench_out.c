/* `vcrypto bench` reports: the table, JSON, and the gnuplot PNG. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double bench_median(const double *v, uint32_t n)
{
    double tmp[BENCH_MAX_ROUNDS];

    memcpy(tmp, v, n * sizeof(double));
    qsort(tmp, n, sizeof(double), cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static const struct bench_cell *native_of(const struct bench_run *r, const struct bench_cell *c)
{
    for (size_t i = 0; i < r->ncells; i++) {
        const struct bench_cell *n = &r->cells[i];

        if (n->native && n->a == c->a && n->size == c->size && n->ok)
            return n;
    }
    return NULL;
}

void bench_summarise(struct bench_run *r)
{
    for (size_t i = 0; i < r->ncells; i++) {
        struct bench_cell *c = &r->cells[i];

        if (c->ok && c->rounds == 0)
            c->ok = false, c->why = "no round completed";
        if (!c->ok)
            continue;
        c->med_ops = bench_median(c->ops, c->rounds);
        c->med_cpu_ns = bench_median(c->cpu_ns, c->rounds);
        c->med_proc_ns = bench_median(c->proc_ns, c->rounds);
        c->gbps = c->med_ops * c->size / 1e9;
    }
    for (size_t i = 0; i < r->ncells; i++) {
        struct bench_cell *c = &r->cells[i];
        const struct bench_cell *n = c->ok ? native_of(r, c) : NULL;

        c->vs_native = n && n->med_ops > 0 ? c->med_ops / n->med_ops : 0;
    }
}

void bench_print_table(FILE *f, const struct bench_run *r)
{
    const struct cli_alg *prev = NULL;

    fprintf(f, "burst %u, window %u, %u rounds x %u ms per cell and target, median round%s\n",
            r->burst, r->window, r->rounds, r->round_ms, r->spin ? ", client spins" : "");
    fprintf(f, "cpu ns/op = user+sys CPU per op of the calling thread / of the whole process\n"
               "(the process includes the inproc device's threads); vs native = ops/s ratio\n\n");
    fprintf(f, "%-18s %6s  %-11s %12s %9s %10s %10s %10s\n", "algorithm", "size", "target", "ops/s",
            "GB/s", "thread ns", "proc ns", "vs native");
    for (size_t i = 0; i < r->ncells; i++) {
        const struct bench_cell *c = &r->cells[i];

        if (prev && prev != c->a)
            fputc('\n', f);
        prev = c->a;
        fprintf(f, "%-18s %6u  %-11s ", c->a->name, c->size, c->target);
        if (!c->ok) {
            fprintf(f, "%12s   (%s)\n", "-", c->why ? c->why : "failed");
            continue;
        }
        fprintf(f, "%12.0f %9.3f %10.1f %10.1f", c->med_ops, c->gbps, c->med_cpu_ns,
                c->med_proc_ns);
        if (c->native)
            fprintf(f, " %10s\n", "1");
        else if (c->vs_native > 0)
            fprintf(f, " %10.2f\n", c->vs_native);
        else
            fprintf(f, " %10s\n", "-");
    }
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void bench_print_json(FILE *f, const struct bench_run *r)
{
    fprintf(f, "{\n  \"tool\": \"vcrypto bench\",\n  \"time\": \"%s\",\n", r->stamp);
    fprintf(f, "  \"burst\": %u,\n  \"window\": %u,\n  \"rounds\": %u,\n  \"round_ms\": %u,\n",
            r->burst, r->window, r->rounds, r->round_ms);
    fprintf(f, "  \"client_spins\": %s,\n  \"results\": [", r->spin ? "true" : "false");
    for (size_t i = 0; i < r->ncells; i++) {
        const struct bench_cell *c = &r->cells[i];

        fprintf(f, "%s\n    {\"alg\": \"%s\", \"size\": %u, \"target\": ", i ? "," : "",
                c->a->name, c->size);
        cli_json_str(f, c->target);
        fprintf(f, ", \"spec\": ");
        cli_json_str(f, c->spec);
        fprintf(f, ", \"ok\": %s", c->ok ? "true" : "false");
        if (!c->ok) {
            fprintf(f, ", \"error\": ");
            cli_json_str(f, c->why ? c->why : "failed");
            fprintf(f, "}");
            continue;
        }
        fprintf(f,
                ", \"ops_per_s\": %.1f, \"gb_per_s\": %.4f, \"cpu_ns_per_op\": %.1f, "
                "\"proc_cpu_ns_per_op\": %.1f",
                c->med_ops, c->gbps, c->med_cpu_ns, c->med_proc_ns);
        if (c->vs_native > 0)
            fprintf(f, ", \"vs_native\": %.3f", c->vs_native);
        fprintf(f, ", \"rounds_ops_per_s\": [");
        for (uint32_t k = 0; k < c->rounds; k++)
            fprintf(f, "%s%.1f", k ? ", " : "", c->ops[k]);
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ]\n}\n");
}

bool bench_have_gnuplot(void)
{
    const char *path = getenv("PATH");
    char buf[4096];

    if (!path)
        return false;
    while (*path) {
        size_t n = strcspn(path, ":");

        if (n && n < sizeof(buf) - 10) {
            memcpy(buf, path, n);
            memcpy(buf + n, "/gnuplot", 9);
            if (access(buf, X_OK) == 0)
                return true;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return false;
}

/* Distinct targets in table order (devices first, native last). */
static size_t targets(const struct bench_run *r, const char **out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < r->ncells; i++) {
        bool seen = false;

        for (size_t j = 0; j < n; j++)
            seen |= strcmp(out[j], r->cells[i].spec) == 0;
        if (!seen && n < max)
            out[n++] = r->cells[i].spec;
    }
    return n;
}

bool bench_plot(const struct bench_run *r, const char *png)
{
    char dir[] = "/tmp/vcrypto-plot-XXXXXX", data[64], script[64];
    const char *tg[BENCH_MAX_TARGETS];
    const struct cli_alg *algs[64];
    size_t nt = targets(r, tg, BENCH_MAX_TARGETS), na = 0;
    FILE *f;
    int status;
    pid_t pid;

    for (size_t i = 0; i < r->ncells; i++) {
        if (!na || algs[na - 1] != r->cells[i].a) {
            if (na == VC_ARRAY_SIZE(algs))
                break;
            algs[na++] = r->cells[i].a;
        }
    }
    if (!mkdtemp(dir)) {
        cli_err("--plot: cannot create a temporary directory");
        return false;
    }
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(script, sizeof(script), "%s/plot.gp", dir);
    /* One data block per algorithm: size, then GB/s per target. */
    f = fopen(data, "w");
    if (!f) {
        cli_err("--plot: cannot write %s", data);
        rmdir(dir);
        return false;
    }
    for (size_t a = 0; a < na; a++) {
        uint32_t last = 0;

        for (size_t i = 0; i < r->ncells; i++) {
            const struct bench_cell *c = &r->cells[i];

            if (c->a != algs[a] || c->size == last)
                continue;
            last = c->size;
            fprintf(f, "%u", c->size);
            for (size_t t = 0; t < nt; t++) {
                const struct bench_cell *m = NULL;

                for (size_t k = 0; k < r->ncells; k++) {
                    const struct bench_cell *x = &r->cells[k];

                    if (x->a == c->a && x->size == c->size && strcmp(x->spec, tg[t]) == 0)
                        m = x;
                }
                if (m && m->ok)
                    fprintf(f, " %.4f", m->gbps);
                else
                    fprintf(f, " NaN");
            }
            fprintf(f, "\n");
        }
        fprintf(f, "\n\n");
    }
    fclose(f);
    f = fopen(script, "w");
    if (!f) {
        cli_err("--plot: cannot write %s", script);
        unlink(data);
        rmdir(dir);
        return false;
    }
    fprintf(f, "set terminal pngcairo size 1400,%zu font ',10'\nset output ", 450 * ((na + 2) / 3));
    cli_json_str(f, png); /* a gnuplot double-quoted string uses the same escapes */
    fprintf(f, "\nset multiplot layout %zu,%zu title 'vcrypto bench: GB/s vs message size "
               "(burst %u)'\n",
            (na + 2) / 3, na < 3 ? na : 3, r->burst);
    fprintf(f, "set logscale x 2\nset xlabel 'bytes'\nset ylabel 'GB/s'\nset key top left\n"
               "set grid\nset yrange [0:*]\n");
    for (size_t a = 0; a < na; a++) {
        fprintf(f, "set title '%s'\nplot ", algs[a]->name);
        for (size_t t = 0; t < nt; t++) {
            const char *label = tg[t];

            for (size_t i = 0; i < r->ncells; i++) {
                if (strcmp(r->cells[i].spec, tg[t]) == 0)
                    label = r->cells[i].target;
            }
            fprintf(f, "%s'%s' index %zu using 1:%zu with linespoints title '%s'", t ? ", " : "",
                    data, a, t + 2, label);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "unset multiplot\n");
    fclose(f);
    pid = fork();
    if (pid == 0) {
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    status = -1;
    if (pid > 0)
        (void)waitpid(pid, &status, 0);
    unlink(data);
    unlink(script);
    rmdir(dir);
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        cli_err("--plot: gnuplot failed to write '%s'", png);
        return false;
    }
    return true;
}
