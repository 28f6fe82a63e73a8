/* CAVP .rsp reader; see rsp.h for the format and the lookup rules.
 *
 * IMPLEMENTATION NOTES
 * Four small name/value tables (block, sticky, header, file). Files have at
 * most a few dozen distinct names, so a linear table beats anything cleverer.
 * A header line that directly follows body lines (no blank line between)
 * ends the block; it is kept in `pending` and handled on the next call.
 */
#include "rsp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kv {
    char *name, *value;
};

struct table {
    struct kv *v;
    size_t n, cap;
};

struct kat_rsp {
    FILE *f;
    char *line;
    size_t line_cap;
    unsigned long lineno, block_line;
    struct table block, sticky, header, file;
    bool in_header; /* the last non-blank line was a header */
    bool seen_header;
    char *pending; /* a header line read while finishing a block */
    char *raw;     /* last header text */
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "kat_rsp: out of memory\n");
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

static void table_clear(struct table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].name);
        free(t->v[i].value);
    }
    t->n = 0;
}

static void table_free(struct table *t)
{
    table_clear(t);
    free(t->v);
    t->v = NULL;
    t->cap = 0;
}

static const char *table_get(const struct table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].name, name) == 0)
            return t->v[i].value;
    return NULL;
}

/* Sets name to value, replacing an earlier value of the same name. */
static void table_set(struct table *t, const char *name, const char *value)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].name, name) == 0) {
            free(t->v[i].value);
            t->v[i].value = xstrdup(value);
            return;
        }
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    t->v[t->n].name = xstrdup(name);
    t->v[t->n].value = xstrdup(value);
    t->n++;
}

/* Moves every entry of from into to (overwriting), leaving from empty. */
static void table_merge(struct table *to, struct table *from)
{
    for (size_t i = 0; i < from->n; i++)
        table_set(to, from->v[i].name, from->v[i].value);
    table_clear(from);
}

/* Trims blanks and CR/LF at both ends, in place. */
static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Splits "NAME = value" (or a bare "NAME") and stores it in t. */
static void put_pair(struct table *t, char *item)
{
    char *eq = strchr(item, '=');
    if (eq) {
        *eq = '\0';
        table_set(t, trim(item), trim(eq + 1));
    } else {
        table_set(t, trim(item), "");
    }
}

static void handle_header(struct kat_rsp *r, char *text)
{
    if (!r->in_header) {
        /* A new header group: values from before the first header belong to
         * the whole file; later ones only to the group they were read in. */
        if (!r->seen_header)
            table_merge(&r->file, &r->sticky);
        else
            table_clear(&r->sticky);
        table_clear(&r->header);
        r->in_header = true;
        r->seen_header = true;
    }
    free(r->raw);
    r->raw = xstrdup(text);
    for (char *save = NULL, *item = strtok_r(text, ",", &save); item;
         item = strtok_r(NULL, ",", &save))
        put_pair(&r->header, item);
}

struct kat_rsp *kat_rsp_open(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    struct kat_rsp *r = xrealloc(NULL, sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->f = f;
    r->raw = xstrdup("");
    return r;
}

void kat_rsp_close(struct kat_rsp *r)
{
    if (!r)
        return;
    fclose(r->f);
    free(r->line);
    free(r->pending);
    free(r->raw);
    table_free(&r->block);
    table_free(&r->sticky);
    table_free(&r->header);
    table_free(&r->file);
    free(r);
}

bool kat_rsp_next(struct kat_rsp *r)
{
    table_merge(&r->sticky, &r->block);
    if (r->pending) {
        char *p = r->pending;
        r->pending = NULL;
        handle_header(r, p);
        free(p);
    }
    for (;;) {
        ssize_t got = getline(&r->line, &r->line_cap, r->f);
        if (got < 0)
            return r->block.n > 0;
        r->lineno++;
        char *s = trim(r->line);
        if (*s == '#')
            continue;
        if (*s == '\0') {
            if (r->block.n > 0)
                return true;
            continue;
        }
        if (*s == '[') {
            char *end = strrchr(s, ']');
            if (end)
                *end = '\0';
            if (r->block.n > 0) {
                r->pending = xstrdup(s + 1);
                return true;
            }
            handle_header(r, s + 1);
            continue;
        }
        if (r->block.n == 0)
            r->block_line = r->lineno;
        r->in_header = false;
        put_pair(&r->block, s);
    }
}

const char *kat_rsp_get(const struct kat_rsp *r, const char *name)
{
    const char *v = table_get(&r->block, name);
    if (!v)
        v = table_get(&r->sticky, name);
    if (!v)
        v = table_get(&r->header, name);
    if (!v)
        v = table_get(&r->file, name);
    return v;
}

const char *kat_rsp_own(const struct kat_rsp *r, const char *name)
{
    return table_get(&r->block, name);
}

const char *kat_rsp_header(const struct kat_rsp *r, const char *name)
{
    return table_get(&r->header, name);
}

const char *kat_rsp_header_raw(const struct kat_rsp *r)
{
    return r->raw;
}

unsigned long kat_rsp_line(const struct kat_rsp *r)
{
    return r->block_line;
}
