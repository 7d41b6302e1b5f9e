/* config.c — the service configuration of `socpipe run` (docs/configuration.md).
 *
 * The YAML is read with libyaml's document API (a node tree with marks) and walked against
 * a fixed schema, one small function per section, so a typo is an error at its own
 * file:line:col instead of a silent default: a misspelt `memory_budget` must not mean
 * "unlimited". Values are checked where they are read (ranges, timespans such as `7d`,
 * sizes such as `4GB`, table names); librdkafka properties are checked by librdkafka itself
 * (rd_kafka_conf_set on a scratch configuration) so the message is the one librdkafka would
 * give, at the line the property comes from.
 *
 * Secrets. The SASL password and the OIDC client secret are read from an environment
 * variable or a file the YAML names, never from the YAML: configuration files get
 * committed, pasted into tickets and printed, so an inline `password:` (or a credential
 * property in the raw librdkafka map) is refused with an explanation. Diagnostics show the
 * offending source line; any value that follows a credential-looking key on that line is
 * masked first, and no message ever formats a secret value (librdkafka's own error text
 * for a credential property is not shown either, since it may quote the value).
 */
#include "engine/runtime/runtime.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <yaml.h>

#define CFG_MAX_BYTES (1u << 20)

typedef struct cfg_ctx {
    const char *path;
    const char *text;
    size_t len;
    char *dir; /* directory of the file, for relative paths ("" = cwd) */
    yaml_document_t doc;
    sp_diag *err;
    bool failed;
    rt_service_config *out;
    rd_kafka_conf_t *scratch; /* validates properties as they are added */
    const yaml_node_t *sinks_at; /* parsed after kafka: a Kafka sink inherits its settings */
    const yaml_node_t *static_id_at; /* kafka.librdkafka.group.instance.id, checked against workers */
} cfg_ctx;

/* ---- positions and errors ----------------------------------------------------------- */

/* Byte offset of the start of line (0-based), or len. */
static size_t line_start(const cfg_ctx *c, size_t line)
{
    size_t off = 0;
    for (size_t l = 0; l < line && off < c->len; l++) {
        const char *nl = memchr(c->text + off, '\n', c->len - off);
        if (!nl)
            return c->len;
        off = (size_t)(nl - c->text) + 1;
    }
    return off;
}

/* libyaml marks count columns in characters; diagnostics count bytes. */
static void mark_pos(const cfg_ctx *c, const yaml_mark_t *m, int *line, int *col)
{
    size_t off = line_start(c, m->line), start = off;
    if (m->line == 0 && c->len >= 3 && !memcmp(c->text, "\xEF\xBB\xBF", 3))
        off = start = 3;
    for (size_t ch = 0; ch < m->column && off < c->len && c->text[off] != '\n'; ch++) {
        unsigned char b = (unsigned char)c->text[off++];
        if (b >= 0xC0)
            while (off < c->len && ((unsigned char)c->text[off] & 0xC0) == 0x80)
                off++;
    }
    *line = (int)m->line + 1;
    *col = (int)(off - start) + 1;
}

/* Keys whose values are credentials, in the YAML or as librdkafka properties. */
bool rt_kafka_prop_is_secret(const char *key)
{
    static const char *const exact[] = {"ssl.key.pem", "ssl_key", "sasl.oauthbearer.config",
                                        "ssl.keystore.password", "ssl.key.password"};
    for (size_t i = 0; i < SP_ARRAY_LEN(exact); i++)
        if (!strcmp(key, exact[i]))
            return true;
    return strstr(key, "password") != NULL || strstr(key, "secret") != NULL;
}

/* A key in the text (not _env/_file, which name where a secret is, not the secret). */
static bool key_is_secret_text(const char *k, size_t n)
{
    char buf[128];
    if (n == 0 || n >= sizeof buf)
        return false;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)k[i]);
    buf[n] = 0;
    if ((n > 4 && !strcmp(buf + n - 4, "_env")) || (n > 5 && !strcmp(buf + n - 5, "_file")))
        return false;
    return rt_kafka_prop_is_secret(buf);
}

/* Masks every value that follows a credential-looking key on one source line:
 * `password: hunter2` -> `password: *******`. Works on any line, parsed or not (a YAML
 * syntax error has no node tree to consult). */
static void mask_secrets(char *line)
{
    size_t n = strlen(line);
    for (size_t i = 0; i < n; i++) {
        if (line[i] != ':')
            continue;
        /* the key before ':' (optionally quoted) */
        size_t e = i;
        if (e > 0 && (line[e - 1] == '"' || line[e - 1] == '\''))
            e--;
        size_t b = e;
        while (b > 0 && !isspace((unsigned char)line[b - 1]) && line[b - 1] != '{' &&
               line[b - 1] != ',' && line[b - 1] != '"' && line[b - 1] != '\'' && line[b - 1] != '-')
            b--;
        if (!key_is_secret_text(line + b, e - b))
            continue;
        size_t v = i + 1;
        while (v < n && isspace((unsigned char)line[v]))
            v++;
        /* to the end of the value: the end of the line, or of a flow item */
        bool quoted = v < n && (line[v] == '"' || line[v] == '\'');
        char q = quoted ? line[v] : 0;
        size_t w = v + (quoted ? 1 : 0);
        while (w < n && (quoted ? line[w] != q : (line[w] != ',' && line[w] != '}' && line[w] != '#')))
            w++;
        for (size_t k = v + (quoted ? 1 : 0); k < w && k < n; k++)
            if (!isspace((unsigned char)line[k]) || quoted)
                line[k] = '*';
        i = w;
    }
}

static void set_error_at(cfg_ctx *c, int line, int col, const char *msg)
{
    if (c->failed)
        return;
    c->failed = true;
    memset(c->err, 0, sizeof *c->err);
    c->err->span = 1;
    sp_diag_set(c->err, c->path, line, col, "%s", msg);
    sp_diag_attach_source(c->err, c->text, c->len);
    mask_secrets(c->err->source_line);
}

static int fail(cfg_ctx *c, const yaml_node_t *n, const char *fmt, ...) SP_PRINTF(3, 4);
static int fail(cfg_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = 0, col = 0;
    if (n)
        mark_pos(c, &n->start_mark, &line, &col);
    set_error_at(c, line, col, msg);
    return -1;
}

/* ---- node access ---------------------------------------------------------------------- */

static yaml_node_t *node(cfg_ctx *c, int id)
{
    return yaml_document_get_node(&c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool plain_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = scalar(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static const char *kind_name(const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    return plain_null(n) ? "empty" : "a scalar";
}

static int get_str(cfg_ctx *c, const yaml_node_t *v, const char *what, char **out)
{
    const char *s = scalar(v);
    if (!s || plain_null(v))
        return fail(c, v, "%s: expected a string, found %s", what, kind_name(v));
    if (!*s)
        return fail(c, v, "%s: must not be empty", what);
    free(*out);
    *out = sp_xstrdup(s);
    return 0;
}

static char *resolve_path(const cfg_ctx *c, const char *p)
{
    if (p[0] == '/' || !c->dir[0])
        return sp_xstrdup(p);
    sp_buf b = {0};
    sp_buf_printf(&b, "%s/%s", c->dir, p);
    sp_buf_cstr(&b);
    return b.data;
}

static int get_path(cfg_ctx *c, const yaml_node_t *v, const char *what, char **out)
{
    char *s = NULL;
    if (get_str(c, v, what, &s))
        return -1;
    free(*out);
    *out = resolve_path(c, s);
    free(s);
    return 0;
}

static int get_int(cfg_ctx *c, const yaml_node_t *v, const char *what, int64_t lo, int64_t hi,
                   int64_t *out)
{
    const char *s = scalar(v);
    int64_t x;
    if (!s || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !sp_parse_i64(s, strlen(s), &x))
        return fail(c, v, "%s: expected an integer, found %s%s%s", what,
                    s ? "'" : kind_name(v), s ? s : "", s ? "'" : "");
    if (x < lo || x > hi)
        return fail(c, v, "%s: %lld is out of range (%lld..%lld)", what, (long long)x, (long long)lo,
                    (long long)hi);
    *out = x;
    return 0;
}

static int get_bool(cfg_ctx *c, const yaml_node_t *v, const char *what, bool *out)
{
    const char *s = scalar(v);
    if (s && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
            *out = true;
            return 0;
        }
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
            *out = false;
            return 0;
        }
    }
    return fail(c, v, "%s: expected true or false", what);
}

/* A timespan: `7d`, `12h`, `30m`, `45s`, `250ms`, `1.5h`, or Kusto's `[d.]hh:mm[:ss]`. */
static bool parse_timespan(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (strchr(s, ':'))
        return sp_timespan_parse(s, n, out) && *out >= 0;
    size_t i = 0;
    while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.'))
        i++;
    double v;
    if (i == 0 || !sp_parse_f64(s, i, &v) || v < 0)
        return false;
    static const struct {
        const char *u;
        int64_t ticks;
    } units[] = {{"d", SP_TICKS_PER_DAY}, {"h", SP_TICKS_PER_HOUR}, {"m", SP_TICKS_PER_MIN},
                 {"min", SP_TICKS_PER_MIN}, {"s", SP_TICKS_PER_SEC}, {"ms", SP_TICKS_PER_MS}};
    for (size_t k = 0; k < SP_ARRAY_LEN(units); k++)
        if (!strcmp(s + i, units[k].u)) {
            double t = v * (double)units[k].ticks;
            if (t > 9.2e18)
                return false;
            *out = (int64_t)t;
            return true;
        }
    return false;
}

static int get_timespan(cfg_ctx *c, const yaml_node_t *v, const char *what, int64_t *out)
{
    const char *s = scalar(v);
    if (!s || !parse_timespan(s, out))
        return fail(c, v, "%s: expected a timespan such as 7d, 12h, 30m, 10s or 250ms", what);
    return 0;
}

/* A size: bytes, or a number with KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB. */
static bool parse_size(const char *s, uint64_t *out)
{
    size_t n = strlen(s), i = 0;
    while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.'))
        i++;
    double v;
    if (i == 0 || !sp_parse_f64(s, i, &v) || v < 0)
        return false;
    while (i < n && s[i] == ' ')
        i++;
    static const struct {
        const char *u;
        double mul;
    } units[] = {{"", 1},         {"B", 1},           {"KB", 1e3},          {"MB", 1e6},
                 {"GB", 1e9},     {"TB", 1e12},       {"KiB", 1024.0},      {"MiB", 1048576.0},
                 {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
    for (size_t k = 0; k < SP_ARRAY_LEN(units); k++)
        if (!strcmp(s + i, units[k].u)) {
            double b = v * units[k].mul;
            if (b > 1.8e19)
                return false;
            *out = (uint64_t)b;
            return true;
        }
    return false;
}

/* ---- mappings against a key list ------------------------------------------------------ */

typedef int (*key_fn)(cfg_ctx *c, const yaml_node_t *key, const yaml_node_t *val, void *obj);
typedef struct key_spec {
    const char *name;
    key_fn fn;
} key_spec;

/* Levenshtein distance of two short keys (capped at 32 bytes), for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
    size_t n = SP_MIN(strlen(a), 32), m = SP_MIN(strlen(b), 32);
    int row[33];
    for (size_t j = 0; j <= m; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j];
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = SP_MIN(SP_MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
            diag = up;
        }
    }
    return row[m];
}

/* Walks map, dispatching each key to its spec; unknown and duplicate keys are errors.
 * *seen gets bit k for keys[k] present. */
static int walk_map(cfg_ctx *c, const yaml_node_t *map, const char *section, const key_spec *keys,
                    size_t nkeys, void *obj, uint32_t *seen)
{
    *seen = 0;
    if (map->type != YAML_MAPPING_NODE)
        return fail(c, map, "%s: expected a mapping, found %s", section, kind_name(map));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
        const char *ks = scalar(k);
        if (!ks)
            return fail(c, k, "%s: keys must be plain names", section);
        size_t idx = nkeys;
        for (size_t i = 0; i < nkeys; i++)
            if (!strcmp(keys[i].name, ks))
                idx = i;
        if (idx == nkeys) {
            const char *near = NULL;
            for (size_t i = 0; i < nkeys && !near; i++)
                if (edit_distance(ks, keys[i].name) <= 2)
                    near = keys[i].name;
            if (near)
                return fail(c, k, "%s: unknown key '%s' (did you mean '%s'?)", section, ks, near);
            sp_buf names = {0};
            for (size_t i = 0; i < nkeys; i++)
                sp_buf_printf(&names, "%s%s", i ? ", " : "", keys[i].name);
            int rc = fail(c, k, "%s: unknown key '%s' (expected one of: %s)", section, ks,
                          sp_buf_cstr(&names));
            sp_buf_free(&names);
            return rc;
        }
        if (*seen & (1u << idx))
            return fail(c, k, "%s: duplicate key '%s'", section, ks);
        *seen |= 1u << idx;
        if (keys[idx].fn(c, k, v, obj))
            return -1;
    }
    return 0;
}

/* Position of key name in map, for "missing key" errors: the map itself. */
static int require(cfg_ctx *c, const yaml_node_t *map, const char *section, const key_spec *keys,
                   size_t nkeys, uint32_t seen, const char *name)
{
    for (size_t i = 0; i < nkeys; i++)
        if (!strcmp(keys[i].name, name) && !(seen & (1u << i)))
            return fail(c, map, "%s: missing required key '%s'", section, name);
    return 0;
}

static bool has(const key_spec *keys, size_t nkeys, uint32_t seen, const char *name)
{
    for (size_t i = 0; i < nkeys; i++)
        if (!strcmp(keys[i].name, name))
            return (seen >> i) & 1;
    return false;
}

/* ---- kafka properties ------------------------------------------------------------------ */

typedef struct prop_list {
    rt_kafka_prop *v;
    int n;
    size_t cap;
} prop_list;

static void wipe_free(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

static void props_free(rt_kafka_prop *p, int n)
{
    for (int i = 0; i < n; i++) {
        free(p[i].key);
        if (p[i].secret)
            wipe_free(p[i].value);
        else
            free(p[i].value);
    }
    free(p);
}

/* Sets key=value on the scratch configuration (librdkafka validates it) and appends it.
 * at is the node errors point to. */
static int prop_add(cfg_ctx *c, prop_list *l, const yaml_node_t *at, const char *key,
                    const char *value, bool secret)
{
    char errstr[512];
    if (rd_kafka_conf_set(c->scratch, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        if (secret)
            return fail(c, at, "librdkafka rejects the value of '%s' (not shown: it is a credential)", key);
        return fail(c, at, "librdkafka: %s", errstr);
    }
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].key, key)) { /* a later setting wins, as in librdkafka */
            if (l->v[i].secret)
                wipe_free(l->v[i].value);
            else
                free(l->v[i].value);
            l->v[i].value = sp_xstrdup(value);
            l->v[i].secret = secret;
            return 0;
        }
    SP_GROW(l->v, l->cap, (size_t)l->n + 1);
    l->v[l->n].key = sp_xstrdup(key);
    l->v[l->n].value = sp_xstrdup(value);
    l->v[l->n].secret = secret;
    l->n++;
    return 0;
}

/* Reads a credential from the environment variable or file named at node v. */
static int read_secret(cfg_ctx *c, const yaml_node_t *v, const char *what, bool from_env, char **out)
{
    char *name = NULL;
    if (get_str(c, v, what, &name))
        return -1;
    if (from_env) {
        const char *s = getenv(name);
        if (!s || !*s) {
            int rc = fail(c, v, "%s: environment variable '%s' is %s", what, name, s ? "empty" : "not set");
            free(name);
            return rc;
        }
        *out = sp_xstrdup(s);
        free(name);
        return 0;
    }
    char *path = resolve_path(c, name);
    free(name);
    sp_buf b = {0};
    if (sp_read_file(path, &b) != 0) {
        int rc = fail(c, v, "%s: cannot read '%s': %s", what, path, strerror(errno));
        free(path);
        return rc;
    }
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 0077))
        sp_log(SP_LOG_WARN, "%s: %s is readable by other users (chmod 600 it)", what, path);
    free(path);
    /* One trailing newline is how files end, not part of the secret. */
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        b.len--;
    if (!b.len || memchr(b.data, 0, b.len)) {
        explicit_bzero(b.data, b.cap);
        sp_buf_free(&b);
        return fail(c, v, "%s: the file is empty or not text", what);
    }
    sp_buf_cstr(&b);
    *out = b.data;
    return 0;
}

/* kafka.security (or a kafka sink's security) */
typedef struct sec_cfg {
    prop_list *props;
    char *protocol, *mechanism, *username, *password, *ca;
    const yaml_node_t *protocol_at, *mechanism_at, *password_at, *username_at;
    /* oidc */
    char *token_endpoint, *client_id, *client_secret, *scope;
    const yaml_node_t *oidc_at, *secret_at;
} sec_cfg;

static const char *const inline_secret_msg =
    "%s: inline credentials are not accepted (configuration files get committed, copied and "
    "printed); use %s_env: VARIABLE or %s_file: PATH";

static int k_protocol(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    static const char *const ok[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
    const char *x = scalar(v);
    for (size_t i = 0; x && i < SP_ARRAY_LEN(ok); i++)
        if (!strcmp(x, ok[i])) {
            s->protocol = sp_xstrdup(x);
            s->protocol_at = v;
            return 0;
        }
    return fail(c, v, "security.protocol: expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
}

static int k_mechanism(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    static const char *const ok[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"};
    const char *x = scalar(v);
    for (size_t i = 0; x && i < SP_ARRAY_LEN(ok); i++)
        if (!strcmp(x, ok[i])) {
            s->mechanism = sp_xstrdup(x);
            s->mechanism_at = v;
            return 0;
        }
    return fail(c, v, "security.mechanism: expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER");
}

static int k_username(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    s->username_at = v;
    return get_str(c, v, "security.username", &s->username);
}

static int k_password_inline(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return fail(c, k, inline_secret_msg, "security.password", "password", "password");
}

static int k_password_env(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    if (s->password)
        return fail(c, k, "security: give one of password_env and password_file");
    s->password_at = v;
    return read_secret(c, v, "security.password_env", true, &s->password);
}

static int k_password_file(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    if (s->password)
        return fail(c, k, "security: give one of password_env and password_file");
    s->password_at = v;
    return read_secret(c, v, "security.password_file", false, &s->password);
}

static int k_ca(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    return get_path(c, v, "security.ca_location", &s->ca);
}

static int k_oidc_endpoint(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    if (get_str(c, v, "security.oidc.token_endpoint", &s->token_endpoint))
        return -1;
    if (strncmp(s->token_endpoint, "https://", 8) && strncmp(s->token_endpoint, "http://", 7))
        return fail(c, v, "security.oidc.token_endpoint: expected an https:// URL");
    return 0;
}

static int k_oidc_client(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    return get_str(c, v, "security.oidc.client_id", &s->client_id);
}

static int k_oidc_scope(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    return get_str(c, v, "security.oidc.scope", &s->scope);
}

static int k_oidc_secret_inline(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return fail(c, k, inline_secret_msg, "security.oidc.client_secret", "client_secret", "client_secret");
}

static int k_oidc_secret_env(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    if (s->client_secret)
        return fail(c, k, "security.oidc: give one of client_secret_env and client_secret_file");
    s->secret_at = v;
    return read_secret(c, v, "security.oidc.client_secret_env", true, &s->client_secret);
}

static int k_oidc_secret_file(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    if (s->client_secret)
        return fail(c, k, "security.oidc: give one of client_secret_env and client_secret_file");
    s->secret_at = v;
    return read_secret(c, v, "security.oidc.client_secret_file", false, &s->client_secret);
}

static const key_spec oidc_keys[] = {
    {"token_endpoint", k_oidc_endpoint},   {"client_id", k_oidc_client},
    {"client_secret_env", k_oidc_secret_env}, {"client_secret_file", k_oidc_secret_file},
    {"scope", k_oidc_scope},               {"client_secret", k_oidc_secret_inline},
};

static int k_oidc(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sec_cfg *s = o;
    uint32_t seen;
    s->oidc_at = v;
    if (walk_map(c, v, "security.oidc", oidc_keys, SP_ARRAY_LEN(oidc_keys), s, &seen))
        return -1;
    if (require(c, v, "security.oidc", oidc_keys, SP_ARRAY_LEN(oidc_keys), seen, "token_endpoint") ||
        require(c, v, "security.oidc", oidc_keys, SP_ARRAY_LEN(oidc_keys), seen, "client_id"))
        return -1;
    if (!s->client_secret)
        return fail(c, v, "security.oidc: missing client_secret_env or client_secret_file");
    return 0;
}

static const key_spec security_keys[] = {
    {"protocol", k_protocol},       {"mechanism", k_mechanism},         {"username", k_username},
    {"password_env", k_password_env}, {"password_file", k_password_file}, {"oidc", k_oidc},
    {"ca_location", k_ca},          {"password", k_password_inline},
};

static void sec_free(sec_cfg *s)
{
    free(s->protocol);
    free(s->mechanism);
    free(s->username);
    wipe_free(s->password);
    free(s->ca);
    free(s->token_endpoint);
    free(s->client_id);
    wipe_free(s->client_secret);
    free(s->scope);
}

/* Checks the combination and turns it into librdkafka properties. */
static int security_props(cfg_ctx *c, const yaml_node_t *map, sec_cfg *s, prop_list *l)
{
    const char *proto = s->protocol ? s->protocol : "PLAINTEXT";
    bool sasl = !strncmp(proto, "SASL_", 5);
    const yaml_node_t *pat = s->protocol_at ? s->protocol_at : map;
    if (sasl && !s->mechanism)
        return fail(c, pat, "security: protocol %s needs a mechanism (PLAIN, SCRAM-SHA-256, "
                            "SCRAM-SHA-512 or OAUTHBEARER)", proto);
    if (!sasl && s->mechanism)
        return fail(c, s->mechanism_at, "security.mechanism: a SASL mechanism needs protocol "
                                        "SASL_SSL or SASL_PLAINTEXT (found %s)", proto);
    if (!sasl && (s->username || s->password || s->oidc_at))
        return fail(c, s->username_at ? s->username_at : s->password_at ? s->password_at : s->oidc_at,
                    "security: credentials need protocol SASL_SSL or SASL_PLAINTEXT (found %s)", proto);
    if (prop_add(c, l, pat, "security.protocol", proto, false))
        return -1;
    if (s->ca && prop_add(c, l, map, "ssl.ca.location", s->ca, false))
        return -1;
    if (!sasl)
        return 0;
    if (prop_add(c, l, s->mechanism_at, "sasl.mechanisms", s->mechanism, false))
        return -1;
    if (!strcmp(s->mechanism, "OAUTHBEARER")) {
        if (s->username || s->password)
            return fail(c, s->username_at ? s->username_at : s->password_at,
                        "security: OAUTHBEARER takes its credentials from security.oidc, not username/password");
        if (!s->oidc_at)
            return fail(c, s->mechanism_at, "security: OAUTHBEARER needs an oidc section (token_endpoint, "
                                            "client_id, client_secret_env or client_secret_file, scope)");
        if (prop_add(c, l, s->oidc_at, "sasl.oauthbearer.method", "oidc", false) ||
            prop_add(c, l, s->oidc_at, "sasl.oauthbearer.client.id", s->client_id, false) ||
            prop_add(c, l, s->secret_at, "sasl.oauthbearer.client.secret", s->client_secret, true) ||
            prop_add(c, l, s->oidc_at, "sasl.oauthbearer.token.endpoint.url", s->token_endpoint, false))
            return -1;
        if (s->scope && prop_add(c, l, s->oidc_at, "sasl.oauthbearer.scope", s->scope, false))
            return -1;
        return 0;
    }
    if (s->oidc_at)
        return fail(c, s->oidc_at, "security.oidc: only used with mechanism OAUTHBEARER");
    if (!s->username)
        return fail(c, s->mechanism_at, "security: mechanism %s needs a username (Azure Event Hubs: "
                                        "$ConnectionString)", s->mechanism);
    if (!s->password)
        return fail(c, s->mechanism_at, "security: mechanism %s needs password_env or password_file",
                    s->mechanism);
    if (!strcmp(proto, "SASL_PLAINTEXT"))
        sp_log(SP_LOG_WARN, "%s: security: SASL_PLAINTEXT sends the %s credentials unencrypted", c->path,
               s->mechanism);
    if (prop_add(c, l, s->username_at, "sasl.username", s->username, false) ||
        prop_add(c, l, s->password_at, "sasl.password", s->password, true))
        return -1;
    return 0;
}

static int parse_security(cfg_ctx *c, const yaml_node_t *v, prop_list *l)
{
    sec_cfg s = {0};
    uint32_t seen;
    int rc = walk_map(c, v, "security", security_keys, SP_ARRAY_LEN(security_keys), &s, &seen);
    if (!rc)
        rc = security_props(c, v, &s, l);
    sec_free(&s);
    return rc;
}

/* Properties socpipe sets itself: overriding them would break delivery or duplicate a key. */
static const char *reserved_prop(const char *key)
{
    static const struct {
        const char *key, *why;
    } r[] = {
        {"bootstrap.servers", "use kafka.brokers"},
        {"metadata.broker.list", "use kafka.brokers"},
        {"group.id", "use kafka.group"},
        {"enable.auto.offset.store", "socpipe stores each offset itself, after the records up to it are "
                                     "in the store, seen by every per-event rule and their alerts are "
                                     "acknowledged (at-least-once delivery)"},
        {"enable.auto.commit", "socpipe commits the offsets it stores every auto.commit.interval.ms, "
                               "and synchronously on rebalance and shutdown"},
        {"enable.idempotence", "the alert producer is always idempotent"},
        {"security.protocol", "use kafka.security.protocol"},
        {"sasl.mechanisms", "use kafka.security.mechanism"},
        {"sasl.mechanism", "use kafka.security.mechanism"},
        {"sasl.username", "use kafka.security.username"},
        {"sasl.oauthbearer.method", "use kafka.security.oidc"},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(r); i++)
        if (!strcmp(key, r[i].key))
            return r[i].why;
    return NULL;
}

static int parse_librdkafka(cfg_ctx *c, const yaml_node_t *v, const char *section, prop_list *l)
{
    if (v->type != YAML_MAPPING_NODE)
        return fail(c, v, "%s: expected a mapping of librdkafka properties", section);
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *x = node(c, p->value);
        const char *ks = scalar(k), *xs = scalar(x);
        if (!ks)
            return fail(c, k, "%s: property names must be plain strings", section);
        for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < p; q++)
            if (!strcmp(scalar(node(c, q->key)), ks))
                return fail(c, k, "%s: duplicate property '%s'", section, ks);
        if (rt_kafka_prop_is_secret(ks))
            return fail(c, k, "%s.%s: inline credentials are not accepted (configuration files get "
                              "committed, copied and printed); credentials go under kafka.security "
                              "with *_env or *_file",
                        section, ks);
        const char *why = reserved_prop(ks);
        if (why)
            return fail(c, k, "%s.%s: set by socpipe (%s)", section, ks, why);
        if (!xs || x->type != YAML_SCALAR_NODE)
            return fail(c, x, "%s.%s: expected a scalar value, found %s", section, ks, kind_name(x));
        if (prop_add(c, l, x, ks, xs, false))
            return -1;
        if (!strcmp(ks, "group.instance.id"))
            c->static_id_at = k;
    }
    return 0;
}

/* ---- kafka -------------------------------------------------------------------------------- */

typedef struct kafka_parse {
    rt_service_config *o;
    prop_list props;
    const yaml_node_t *security, *librdkafka, *brokers_at;
} kafka_parse;

static bool valid_table_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || isdigit((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

static int k_kbrokers(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    kafka_parse *kp = o;
    kp->brokers_at = v;
    return get_str(c, v, "kafka.brokers", &kp->o->brokers);
}

static int k_kgroup(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    kafka_parse *kp = o;
    return get_str(c, v, "kafka.group", &kp->o->group);
}

static int k_topic_name(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    rt_topic_config *t = o;
    if (get_str(c, v, "kafka.topics.name", &t->name))
        return -1;
    for (const char *p = t->name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return fail(c, v, "kafka.topics.name: '%s' is not a Kafka topic name (letters, digits, . _ -)",
                        t->name);
    return 0;
}

static int k_topic_table(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    rt_topic_config *t = o;
    char *s = NULL;
    if (get_str(c, v, "kafka.topics.table", &s))
        return -1;
    if (!strcmp(s, "auto")) {
        free(s);
        return 0;
    }
    if (!valid_table_name(s)) {
        free(s);
        return fail(c, v, "kafka.topics.table: expected auto or a table name (letters, digits and _)");
    }
    t->table = s;
    return 0;
}

static const key_spec topic_keys[] = {{"name", k_topic_name}, {"table", k_topic_table}};

static int k_ktopics(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    kafka_parse *kp = o;
    rt_service_config *out = kp->o;
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top)
        return fail(c, v, "kafka.topics: expected a list of topics ({name, table})");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    out->topics = sp_xcalloc(n, sizeof *out->topics);
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *x = node(c, *it);
        rt_topic_config *t = &out->topics[out->ntopics++];
        if (x->type == YAML_SCALAR_NODE) {
            if (k_topic_name(c, k, x, t))
                return -1;
        } else {
            uint32_t seen;
            if (walk_map(c, x, "kafka.topics", topic_keys, SP_ARRAY_LEN(topic_keys), t, &seen) ||
                require(c, x, "kafka.topics", topic_keys, SP_ARRAY_LEN(topic_keys), seen, "name"))
                return -1;
        }
        for (int i = 0; i < out->ntopics - 1; i++)
            if (!strcmp(out->topics[i].name, t->name))
                return fail(c, x, "kafka.topics: topic '%s' is listed twice", t->name);
    }
    return 0;
}

static int k_ksecurity(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    ((kafka_parse *)o)->security = v; /* applied after brokers, in a fixed order */
    return 0;
}

static int k_klibrdkafka(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    ((kafka_parse *)o)->librdkafka = v;
    return 0;
}

static int k_flush_messages(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    int64_t x;
    if (get_int(c, v, "kafka.flush.messages", 1, 10000000, &x))
        return -1;
    ((rt_service_config *)o)->flush_messages = (uint32_t)x;
    return 0;
}

static int k_flush_interval(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    rt_service_config *out = o;
    if (get_timespan(c, v, "kafka.flush.interval", &out->flush_interval))
        return -1;
    if (out->flush_interval < SP_TICKS_PER_MS || out->flush_interval > SP_TICKS_PER_MIN)
        return fail(c, v, "kafka.flush.interval: expected 1ms..1m");
    return 0;
}

static const key_spec flush_keys[] = {{"messages", k_flush_messages}, {"interval", k_flush_interval}};

static int k_kflush(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    uint32_t seen;
    return walk_map(c, v, "kafka.flush", flush_keys, SP_ARRAY_LEN(flush_keys), ((kafka_parse *)o)->o, &seen);
}

static int k_kidle(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    rt_service_config *out = ((kafka_parse *)o)->o;
    if (get_timespan(c, v, "kafka.idle_timeout", &out->idle_timeout))
        return -1;
    if (out->idle_timeout < SP_TICKS_PER_MS)
        return fail(c, v, "kafka.idle_timeout: must be at least 1ms");
    return 0;
}

static const key_spec kafka_keys[] = {
    {"brokers", k_kbrokers},   {"topics", k_ktopics},         {"group", k_kgroup},
    {"security", k_ksecurity}, {"librdkafka", k_klibrdkafka}, {"flush", k_kflush},
    {"idle_timeout", k_kidle},
};

static int k_kafka(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    rt_service_config *out = o;
    kafka_parse kp = {.o = out};
    uint32_t seen;
    int rc = walk_map(c, v, "kafka", kafka_keys, SP_ARRAY_LEN(kafka_keys), &kp, &seen);
    if (!rc)
        rc = require(c, v, "kafka", kafka_keys, SP_ARRAY_LEN(kafka_keys), seen, "brokers");
    if (!rc)
        rc = require(c, v, "kafka", kafka_keys, SP_ARRAY_LEN(kafka_keys), seen, "topics");
    if (!rc)
        rc = require(c, v, "kafka", kafka_keys, SP_ARRAY_LEN(kafka_keys), seen, "group");
    if (!rc)
        rc = prop_add(c, &kp.props, kp.brokers_at, "bootstrap.servers", out->brokers, false);
    if (!rc && kp.security)
        rc = parse_security(c, kp.security, &kp.props);
    if (!rc && kp.librdkafka)
        rc = parse_librdkafka(c, kp.librdkafka, "kafka.librdkafka", &kp.props);
    out->props = kp.props.v;
    out->nprops = kp.props.n;
    return rc;
}

/* ---- sinks ------------------------------------------------------------------------------- */

typedef struct sink_parse {
    rt_sink_config *s;
    const yaml_node_t *type_at, *security, *librdkafka, *brokers_at;
    char *brokers;
} sink_parse;

static int k_stype(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sink_parse *sp = o;
    const char *x = scalar(v);
    sp->type_at = v;
    if (x && !strcmp(x, "stdout"))
        sp->s->type = RT_SINK_STDOUT;
    else if (x && !strcmp(x, "file"))
        sp->s->type = RT_SINK_FILE;
    else if (x && !strcmp(x, "kafka"))
        sp->s->type = RT_SINK_KAFKA;
    else
        return fail(c, v, "sinks.type: expected stdout, file or kafka");
    return 0;
}

static int k_spath(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return get_path(c, v, "sinks.path", &((sink_parse *)o)->s->path);
}

static int k_stopic(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return get_str(c, v, "sinks.topic", &((sink_parse *)o)->s->topic);
}

static int k_sbrokers(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    sink_parse *sp = o;
    sp->brokers_at = v;
    return get_str(c, v, "sinks.brokers", &sp->brokers);
}

static int k_ssecurity(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    ((sink_parse *)o)->security = v;
    return 0;
}

static int k_slibrdkafka(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    ((sink_parse *)o)->librdkafka = v;
    return 0;
}

static const key_spec sink_keys[] = {
    {"type", k_stype},         {"path", k_spath},             {"topic", k_stopic},
    {"brokers", k_sbrokers},   {"security", k_ssecurity},     {"librdkafka", k_slibrdkafka},
};

/* Consumer properties the alert producer would only warn about ("is a consumer property and
 * will be ignored by this producer instance"). */
static bool consumer_only(const char *key)
{
    static const char *const prefixes[] = {
        "fetch.", "queued.", "group.", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
        "auto.offset.reset", "auto.commit.interval.ms", "partition.assignment.strategy", "isolation.level",
        "enable.partition.eof", "check.crcs", "max.partition.fetch.bytes", "coordinator.query.interval.ms",
        "consume.callback.max.messages", "offset.store.method", "allow.auto.create.topics"};
    for (size_t i = 0; i < SP_ARRAY_LEN(prefixes); i++)
        if (!strncmp(key, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

/* A Kafka sink without brokers writes to the consumers' cluster with their security and
 * properties (less the consumer-only ones); with brokers it names another cluster and takes
 * only its own settings. */
static int sink_kafka_props(cfg_ctx *c, const yaml_node_t *x, sink_parse *sp)
{
    prop_list l = {0};
    int rc = 0;
    rd_kafka_conf_destroy(c->scratch);
    c->scratch = rd_kafka_conf_new();
    if (!sp->brokers) {
        if (sp->security)
            rc = fail(c, sp->security, "sinks.security: only with sinks.brokers (without brokers the sink "
                                       "uses kafka.brokers and kafka.security)");
        for (int i = 0; !rc && i < c->out->nprops; i++)
            if (!consumer_only(c->out->props[i].key))
                rc = prop_add(c, &l, x, c->out->props[i].key, c->out->props[i].value, c->out->props[i].secret);
    } else {
        rc = prop_add(c, &l, sp->brokers_at, "bootstrap.servers", sp->brokers, false);
        if (!rc && sp->security)
            rc = parse_security(c, sp->security, &l);
    }
    if (!rc && sp->librdkafka)
        rc = parse_librdkafka(c, sp->librdkafka, "sinks.librdkafka", &l);
    sp->s->props = l.v;
    sp->s->nprops = l.n;
    return rc;
}

static int parse_sinks(cfg_ctx *c, const yaml_node_t *v)
{
    rt_service_config *out = c->out;
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top)
        return fail(c, v, "sinks: expected a list of sinks ({type: stdout|file|kafka, ...})");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    out->sinks = sp_xcalloc(n, sizeof *out->sinks);
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *x = node(c, *it);
        sink_parse sp = {.s = &out->sinks[out->nsinks++]};
        uint32_t seen;
        int rc = walk_map(c, x, "sinks", sink_keys, SP_ARRAY_LEN(sink_keys), &sp, &seen);
        if (!rc)
            rc = require(c, x, "sinks", sink_keys, SP_ARRAY_LEN(sink_keys), seen, "type");
        if (!rc) {
            rt_sink_type t = sp.s->type;
            if (t == RT_SINK_FILE && !sp.s->path)
                rc = fail(c, x, "sinks: a file sink needs a path");
            else if (t == RT_SINK_KAFKA && !sp.s->topic)
                rc = fail(c, x, "sinks: a kafka sink needs a topic");
            else if (t != RT_SINK_FILE && sp.s->path)
                rc = fail(c, x, "sinks.path: only for type file");
            else if (t != RT_SINK_KAFKA && (sp.s->topic || sp.brokers || sp.security || sp.librdkafka))
                rc = fail(c, x, "sinks: topic, brokers, security and librdkafka are only for type kafka");
            else if (t == RT_SINK_KAFKA)
                rc = sink_kafka_props(c, x, &sp);
        }
        free(sp.brokers);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- top level ---------------------------------------------------------------------------- */

static int k_sinks(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    c->sinks_at = v;
    return 0;
}

static int k_workers(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    int64_t x;
    if (get_int(c, v, "workers", 1, 256, &x))
        return -1;
    ((rt_service_config *)o)->workers = (int)x;
    return 0;
}

static int rule_path(cfg_ctx *c, const yaml_node_t *x, rt_service_config *out)
{
    char **p = &out->rules[out->nrules++];
    if (get_path(c, x, "rules", p))
        return -1;
    if (access(*p, R_OK) != 0)
        return fail(c, x, "rules: cannot read '%s': %s", *p, strerror(errno));
    return 0;
}

static int k_rules(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    rt_service_config *out = o;
    if (v->type == YAML_SCALAR_NODE) {
        out->rules = sp_xcalloc(1, sizeof *out->rules);
        return rule_path(c, v, out);
    }
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top)
        return fail(c, v, "rules: expected a list of rule files or directories");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    out->rules = sp_xcalloc(n, sizeof *out->rules);
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        if (rule_path(c, node(c, *it), out))
            return -1;
    return 0;
}

static int existing_dir(cfg_ctx *c, const yaml_node_t *v, const char *what, char **out)
{
    if (get_path(c, v, what, out))
        return -1;
    struct stat st;
    if (stat(*out, &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(c, v, "%s: '%s' is not a directory", what, *out);
    return 0;
}

static int k_watchlists(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return existing_dir(c, v, "watchlists", &((rt_service_config *)o)->watchlists);
}

static int k_sig_ph(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return get_path(c, v, "sigma.placeholders", &((rt_service_config *)o)->sigma_placeholders);
}

static int k_sig_map(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return get_path(c, v, "sigma.mapping", &((rt_service_config *)o)->sigma_mapping);
}

static const key_spec sigma_keys[] = {{"placeholders", k_sig_ph}, {"mapping", k_sig_map}};

static int k_sigma(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    uint32_t seen;
    return walk_map(c, v, "sigma", sigma_keys, SP_ARRAY_LEN(sigma_keys), o, &seen);
}

static int k_retention(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    rt_service_config *out = o;
    if (get_timespan(c, v, "retention", &out->retention))
        return -1;
    if (out->retention < SP_TICKS_PER_MIN)
        return fail(c, v, "retention: must be at least 1m");
    return 0;
}

static int k_budget(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    rt_service_config *out = o;
    const char *s = scalar(v);
    if (!s || !parse_size(s, &out->memory_budget))
        return fail(c, v, "memory_budget: expected a size such as 512MB, 4GB or 2GiB");
    if (out->memory_budget < 16000000)
        return fail(c, v, "memory_budget: must be at least 16MB");
    return 0;
}

static int k_dead(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return get_path(c, v, "dead_letter", &((rt_service_config *)o)->dead_letter);
}

static int k_lateness(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return get_timespan(c, v, "lateness", &((rt_service_config *)o)->lateness);
}

static int k_health(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    return get_bool(c, v, "health", &((rt_service_config *)o)->health);
}

static int k_log(cfg_ctx *c, const yaml_node_t *k, const yaml_node_t *v, void *o)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    const char *x = scalar(v);
    for (int i = 0; x && i < 4; i++)
        if (!strcmp(x, names[i])) {
            ((rt_service_config *)o)->log_level = (sp_log_level)i;
            return 0;
        }
    return fail(c, v, "log: expected error, warning, info or debug");
}

static const key_spec root_keys[] = {
    {"kafka", k_kafka},           {"workers", k_workers},   {"rules", k_rules},
    {"watchlists", k_watchlists}, {"sigma", k_sigma},       {"sinks", k_sinks},
    {"retention", k_retention},   {"memory_budget", k_budget}, {"dead_letter", k_dead},
    {"lateness", k_lateness},     {"health", k_health},     {"log", k_log},
};

/* Half the machine's memory: a service beside other processes. */
static uint64_t default_budget(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psz <= 0)
        return 1ULL << 30;
    return (uint64_t)pages * (uint64_t)psz / 2;
}

static int default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

static void set_defaults(rt_service_config *o)
{
    o->flush_messages = 20000;
    o->flush_interval = 500 * SP_TICKS_PER_MS;
    o->idle_timeout = 30 * SP_TICKS_PER_SEC;
    o->workers = default_workers();
    o->retention = SP_TICKS_PER_DAY;
    o->memory_budget = default_budget();
    o->lateness = SP_TICKS_PER_MIN;
    o->health = true;
    o->log_level = SP_LOG_WARN;
}

static void syntax_error(cfg_ctx *c, yaml_parser_t *p)
{
    int line, col;
    mark_pos(c, &p->problem_mark, &line, &col);
    char msg[400];
    snprintf(msg, sizeof msg, "YAML syntax: %s%s%s", p->problem ? p->problem : "error", p->context ? " " : "",
             p->context ? p->context : "");
    set_error_at(c, line, col, msg);
}

/* Loads the one document of the file into c->doc (owned by the caller on success). */
static int load_doc(cfg_ctx *c)
{
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)c->text, c->len);
    if (!yaml_parser_load(&p, &c->doc)) {
        syntax_error(c, &p);
        yaml_parser_delete(&p);
        return -1;
    }
    /* One document per file: a second one is almost certainly a mistake. */
    yaml_document_t extra;
    int rc = 0;
    if (!yaml_parser_load(&p, &extra)) {
        syntax_error(c, &p);
        rc = -1;
    } else {
        yaml_node_t *r = yaml_document_get_root_node(&extra);
        if (r) {
            int line, col;
            mark_pos(c, &r->start_mark, &line, &col);
            set_error_at(c, line, col, "a configuration file holds one YAML document");
            rc = -1;
        }
        yaml_document_delete(&extra);
    }
    if (rc)
        yaml_document_delete(&c->doc);
    yaml_parser_delete(&p);
    return rc;
}

int rt_config_load(const char *path, rt_service_config *out, sp_diag *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    sp_buf text = {0};
    if (sp_read_file(path, &text) != 0) {
        sp_diag_set(err, path, 0, 0, "cannot read the configuration: %s", strerror(errno));
        return -1;
    }
    if (text.len > CFG_MAX_BYTES) {
        sp_buf_free(&text);
        sp_diag_set(err, path, 0, 0, "the configuration is larger than %u bytes", CFG_MAX_BYTES);
        return -1;
    }
    sp_buf_cstr(&text);
    cfg_ctx c = {.path = path, .text = text.data, .len = text.len, .err = err, .out = out};
    const char *slash = strrchr(path, '/');
    c.dir = slash ? sp_xstrndup(path, (size_t)(slash - path) + (slash == path)) : sp_xstrdup("");
    c.scratch = rd_kafka_conf_new();
    set_defaults(out);
    out->path = sp_xstrdup(path);
    int rc = load_doc(&c);
    bool have_doc = rc == 0;
    if (!rc) {
        yaml_node_t *root = yaml_document_get_root_node(&c.doc);
        uint32_t seen = 0;
        if (!root)
            rc = (set_error_at(&c, 1, 1, "the configuration is empty (see docs/configuration.md)"), -1);
        else
            rc = walk_map(&c, root, "configuration", root_keys, SP_ARRAY_LEN(root_keys), out, &seen);
        if (!rc)
            rc = require(&c, root, "configuration", root_keys, SP_ARRAY_LEN(root_keys), seen, "kafka");
        if (!rc)
            rc = require(&c, root, "configuration", root_keys, SP_ARRAY_LEN(root_keys), seen, "rules");
        /* Every worker is a member of the group with the consumers' properties: members that
         * share one static id (KIP-345) fence each other, a fatal error at run time. */
        if (!rc && c.static_id_at && out->workers > 1)
            rc = fail(&c, c.static_id_at,
                      "kafka.librdkafka.group.instance.id: each of the %d workers is a group member, and members "
                      "sharing one static id fence each other; static membership needs workers: 1",
                      out->workers);
        if (!rc && c.sinks_at)
            rc = parse_sinks(&c, c.sinks_at);
        if (!rc && !has(root_keys, SP_ARRAY_LEN(root_keys), seen, "sinks")) {
            out->sinks = sp_xcalloc(1, sizeof *out->sinks);
            out->sinks[0].type = RT_SINK_STDOUT;
            out->nsinks = 1;
        }
    }
    if (have_doc)
        yaml_document_delete(&c.doc);
    rd_kafka_conf_destroy(c.scratch);
    free(c.dir);
    explicit_bzero(text.data, text.cap); /* the text may hold a refused inline secret */
    sp_buf_free(&text);
    if (rc) {
        if (!c.failed)
            sp_diag_set(err, path, 0, 0, "invalid configuration");
        rt_config_free(out);
        return -1;
    }
    return 0;
}

void rt_config_free(rt_service_config *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->brokers);
    free(c->group);
    for (int i = 0; i < c->ntopics; i++) {
        free(c->topics[i].name);
        free(c->topics[i].table);
    }
    free(c->topics);
    props_free(c->props, c->nprops);
    for (int i = 0; i < c->nrules; i++)
        free(c->rules[i]);
    free(c->rules);
    free(c->watchlists);
    free(c->sigma_placeholders);
    free(c->sigma_mapping);
    for (int i = 0; i < c->nsinks; i++) {
        free(c->sinks[i].path);
        free(c->sinks[i].topic);
        props_free(c->sinks[i].props, c->sinks[i].nprops);
    }
    free(c->sinks);
    free(c->dead_letter);
    memset(c, 0, sizeof *c);
}
