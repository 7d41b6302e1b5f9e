/* bench_rules.c — the rule benchmarks users run on their own packs (issue #6):
 *
 *   socpipe bench rules --rules PATH... --data FILE... [--json FILE] [--svg FILE] [--rounds N]
 *       what each rule costs: CPU ns per event, selectivity, alerts, share of the pack's
 *       cost, sorted, as a table, JSON and an SVG bar chart; flags regexes that have no
 *       literal prefilter (after Suricata's rule profiling).
 *   socpipe bench pack --rules PATH... --data FILE... [--rounds N] [--json FILE]
 *       what the whole pack costs end to end: replay with every rule against replay with
 *       none, alternating in the same run; the pack's share of ingest time.
 *
 * `bench rules` loads the data into the store once, with no rule attached, and then runs
 * each rule alone over the resident data through the runtime itself (rt_engine_profile_rule:
 * per-event rules over every chunk as on seal, scheduled rules at every tick, correlations
 * once), so a rule's cost is its own and is measured by the code that runs it in
 * production. Times are thread CPU time, and every rule runs --rounds times, interleaved
 * with the others, keeping its cheapest round: on a shared 2-core machine noise only ever
 * adds time (bench/RESULTS.md).
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/exec/exec.h"
#include "engine/runtime/runtime.h"
#include "ingest/ingest.h"

/* ---- shared by both benchmarks ---- */

typedef struct bench_opts {
    const char **rules;
    int nrules;
    const char **data;
    int ndata;
    const char *json, *svg, *table;
    int rounds, top;
    int chunk_rows; /* store chunk size (the unit per-event rules run on); 0 = default */
    bool skip_rejected; /* measure the rules that load; otherwise a rule error exits 2 */
    rt_config cfg;
} bench_opts;

/* A sink that counts alerts and keeps nothing: alerts are built and written as in
 * production, but their I/O is not part of what a rule costs. */
typedef struct count_sink {
    rt_sink base;
    uint64_t alerts;
} count_sink;

static int count_write(rt_sink *s, const char *json, size_t len)
{
    (void)json;
    (void)len;
    ((count_sink *)s)->alerts++;
    return 0;
}

static int count_flush(rt_sink *s)
{
    (void)s;
    return 0;
}

static void count_close(rt_sink *s)
{
    free(s);
}

static count_sink *count_sink_new(void)
{
    count_sink *s = calloc(1, sizeof *s);
    s->base.write = count_write;
    s->base.flush = count_flush;
    s->base.close = count_close;
    s->base.name = "count";
    return s;
}

static void print_rule_diag(void *ctx, const sp_diag *d)
{
    sp_diag_print(stderr, d);
    if (!d->is_warning)
        (*(int *)ctx)++;
}

/* Loads every --rules path; returns the number of rule errors (reported on stderr), or 0
 * with --skip-rejected when some rule loaded (the rest are measured, said once, `quiet`
 * not). */
static int load_rules(rt_engine *e, const bench_opts *o, bool quiet)
{
    int errors = 0;
    for (int i = 0; i < o->nrules; i++)
        if (rt_engine_load_rules(e, o->rules[i], quiet ? NULL : print_rule_diag, &errors) < 0 && !errors)
            errors++;
    if (errors && o->skip_rejected && rt_engine_rule_count(e) > 0) {
        if (!quiet)
            fprintf(stderr, "socpipe: %d rule error%s: measuring the %d rules that loaded\n", errors,
                    errors == 1 ? "" : "s", rt_engine_rule_count(e));
        return 0;
    }
    return errors;
}

static sp_store *bench_store(const bench_opts *o)
{
    sp_store_config sc = {.chunk_rows = (uint32_t)o->chunk_rows};
    return sp_store_new(&sc);
}

static void opts_free(bench_opts *o)
{
    free(o->rules);
    free(o->data);
}

/* `--name N` with a positive N: 1 matched (value in *dst), 0 not this option, -1 bad. */
static int num_opt(int argc, char **argv, int *i, const char *name, int *dst)
{
    const char *v;
    if (!cli_opt_value(argc, argv, i, name, &v))
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < 1 || n > 1000000) {
        cli_usage_error("%s takes a positive number (got '%s')", name, v);
        return -1;
    }
    *dst = (int)n;
    return 1;
}

static int parse_opts_into(int argc, char **argv, bench_opts *o, const char *usage);

/* Parses the options both benchmarks share; on failure frees what it made (the caller
 * frees o with opts_free otherwise). Rule runs write no SentinelHealth records here: the
 * benchmarks measure the rules, not the self-monitoring. */
static int parse_opts(int argc, char **argv, bench_opts *o, const char *usage)
{
    int rc = parse_opts_into(argc, argv, o, usage);
    if (rc != SP_EXIT_OK)
        opts_free(o);
    o->cfg.self_health = false;
    return rc;
}

static int parse_opts_into(int argc, char **argv, bench_opts *o, const char *usage)
{
    memset(o, 0, sizeof *o);
    o->rules = calloc((size_t)argc + 1, sizeof(char *));
    o->data = calloc((size_t)argc + 1, sizeof(char *));
    o->rounds = 3;
    const char *v;
    for (int i = 1; i < argc; i++) {
        int k;
        if ((k = num_opt(argc, argv, &i, "--rounds", &o->rounds)) != 0 ||
            (k = num_opt(argc, argv, &i, "--top", &o->top)) != 0 ||
            (k = num_opt(argc, argv, &i, "--chunk-rows", &o->chunk_rows)) != 0) {
            if (k < 0)
                return SP_EXIT_USAGE;
        } else if (cli_opt_value(argc, argv, &i, "--rules", &v))
            o->rules[o->nrules++] = v;
        else if (cli_opt_value(argc, argv, &i, "--data", &v))
            o->data[o->ndata++] = v;
        else if (cli_opt_value(argc, argv, &i, "--json", &v))
            o->json = v;
        else if (cli_opt_value(argc, argv, &i, "--svg", &v))
            o->svg = v;
        else if (cli_opt_value(argc, argv, &i, "--table", &v))
            o->table = v;
        else if (cli_opt_value(argc, argv, &i, "--watchlists", &v))
            o->cfg.watchlist_dir = v;
        else if (cli_opt_value(argc, argv, &i, "--placeholders", &v))
            o->cfg.sigma_placeholders = v;
        else if (cli_opt_value(argc, argv, &i, "--mapping", &v))
            o->cfg.sigma_mapping = v;
        else if (!strcmp(argv[i], "--skip-rejected"))
            o->skip_rejected = true;
        else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage_error("bench %s: unknown option %s", argv[0], argv[i]);
        else
            o->data[o->ndata++] = argv[i];
    }
    if (!o->nrules || !o->ndata)
        return cli_usage_error("%s", usage);
    return SP_EXIT_OK;
}

/* Ingests every data file into store on this thread: both benchmarks compare CPU time of
 * passes, which one ingest thread keeps comparable and free of scheduling noise. */
static int ingest_files(sp_store *store, const bench_opts *o, ing_stats *st)
{
    ing_config icfg = {.table = o->table, .report_limit = -1};
    sp_diag d = {0};
    ing *g = ing_new(store, &icfg, &d);
    if (!g) {
        sp_diag_print(stderr, &d);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < o->ndata && rc == 0; i++)
        if (ing_ingest_file(g, o->data[i], &d) != 0) {
            sp_diag_print(stderr, &d);
            rc = -1;
        }
    ing_flush(g);
    ing_stats_get(g, st);
    ing_free(g);
    return rc;
}

static double process_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- bench rules ---- */

/* One rule's result: its best round. */
typedef struct rule_row {
    int index;
    rt_rule_info info;
    rt_rule_profile best;
    bool measured;
    kexec_regex *regexes;
    int nregexes;
    int unfiltered; /* regexes with no literal prefilter */
} rule_row;

static uint64_t row_cost(const rule_row *r)
{
    return r->best.exec_ns + r->best.alert_ns;
}

static int by_cost_desc(const void *a, const void *b)
{
    const rule_row *x = a, *y = b;
    uint64_t cx = row_cost(x), cy = row_cost(y);
    if (cx != cy)
        return cx > cy ? -1 : 1;
    int c = strcmp(x->info.name, y->info.name);
    return c ? c : x->index - y->index;
}

static double per_event(uint64_t ns, uint64_t events)
{
    return events ? (double)ns / (double)events : 0;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0;
}

static bool regex_unfiltered(const kexec_regex *x)
{
    return !x->invalid && !x->literal;
}

/* Whether regex k of a rule repeats an earlier one (a `let` used twice compiles twice). */
static bool regex_seen_before(const kexec_regex *v, int k)
{
    for (int j = 0; j < k; j++)
        if (!strcmp(v[j].fn, v[k].fn) && (v[j].pattern && v[k].pattern ? !strcmp(v[j].pattern, v[k].pattern)
                                                                        : v[j].pattern == v[k].pattern))
            return true;
    return false;
}

/* Selectivity as a percentage with enough digits to tell rare rules apart. */
static void fmt_selectivity(char *buf, size_t cap, const rt_rule_profile *p)
{
    if (!p->rows_scanned)
        snprintf(buf, cap, "-");
    else if (p->rows_passed == 0)
        snprintf(buf, cap, "0%%");
    else
        snprintf(buf, cap, "%.3g%%", 100.0 * ratio(p->rows_passed, p->rows_scanned));
}

static void fmt_per_event(char *buf, size_t cap, uint64_t ns, uint64_t events)
{
    if (events)
        snprintf(buf, cap, "%.2f", per_event(ns, events));
    else
        snprintf(buf, cap, "-");
}

static const char *rule_flags(const rule_row *r)
{
    return r->unfiltered && r->best.failures ? "REGEX,FAILED" : r->unfiltered ? "REGEX" : r->best.failures ? "FAILED" : "-";
}

static const char why_regex[] =
    "A regex with no literal prefilter: before a regex runs, socpipe searches the value for a\n"
    "literal substring every match must contain (memmem, a few ns) and skips values without it,\n"
    "so Oniguruma sees only candidates. These regexes have no such literal (a top-level\n"
    "alternation, only classes, groups or optional parts, or a pattern computed per row), so\n"
    "Oniguruma runs on every value: once per distinct value of a dictionary-encoded column, but\n"
    "once per row of a high-cardinality one (UserPrincipalName, IPAddress, UserAgent), at\n"
    "~1-4 us each, and a bad pattern backtracks up to the retry limit. Give the regex a literal\n"
    "of 3+ characters outside groups that every match contains (factor an alternation's common\n"
    "part out of it), or AND it with a |contains / has selection on the same field so cheap\n"
    "predicates filter first.\n";

static void print_table(FILE *f, const rule_row *rows, int n, int top, uint64_t total, uint64_t events,
                        double load_cpu, const ing_stats *is, int rounds)
{
    int kinds[3] = {0};
    for (int i = 0; i < n; i++)
        kinds[rows[i].info.kind]++;
    fprintf(f, "data: %llu events (%llu records, %llu rejected), loaded in %.2f s cpu\n", (unsigned long long)events,
           (unsigned long long)is->records, (unsigned long long)is->rejected, load_cpu);
    fprintf(f, "rules: %d (%d per-event, %d scheduled, %d correlation), each run alone over the resident data, best of %d round%s\n\n",
           n, kinds[RT_RULE_PER_EVENT], kinds[RT_RULE_SCHEDULED], kinds[RT_RULE_CORRELATION], rounds,
           rounds == 1 ? "" : "s");
    fprintf(f, "%4s %10s %9s %7s %11s %8s %9s %-11s %-6s %s\n", "rank", "ns/event", "filter ns", "share",
            "selectivity", "alerts", "us/alert", "kind", "flags", "rule");
    int shown = top > 0 && top < n ? top : n;
    int flagged = 0;
    for (int i = 0; i < n; i++)
        flagged += rows[i].unfiltered > 0;
    for (int i = 0; i < shown; i++) {
        const rule_row *r = &rows[i];
        char sel[32], npe[32], xpe[32], upa[32];
        fmt_selectivity(sel, sizeof sel, &r->best);
        fmt_per_event(npe, sizeof npe, row_cost(r), r->best.events);
        fmt_per_event(xpe, sizeof xpe, r->best.filter_ns, r->best.events);
        if (r->best.alerts)
            snprintf(upa, sizeof upa, "%.2f", (double)r->best.alert_ns / 1e3 / (double)r->best.alerts);
        else
            snprintf(upa, sizeof upa, "-");
        fprintf(f, "%4d %10s %9s %6.1f%% %11s %8llu %9s %-11s %-6s %s\n", i + 1, npe, xpe,
                100.0 * ratio(row_cost(r), total), sel, (unsigned long long)r->best.alerts, upa,
                rt_rule_kind_name(r->info.kind), rule_flags(r), r->info.name);
    }
    if (shown < n)
        fprintf(f, "  ... %d more rules (--top)\n", n - shown);
    double s = (double)total / 1e9;
    fprintf(f, "\ntotal: %.2f ms cpu for all rules = %.2f ns per event; the pack alone runs at %.0f events/s on one core\n",
           (double)total / 1e6, per_event(total, events), s > 0 ? (double)events / s : 0);
    if (flagged) {
        fprintf(f, "\nREGEX: %d rule%s with a regex that has no literal prefilter:\n", flagged, flagged == 1 ? "" : "s");
        for (int i = 0; i < n; i++)
            for (int k = 0; k < rows[i].nregexes; k++) {
                const kexec_regex *x = &rows[i].regexes[k];
                if (!regex_unfiltered(x) || regex_seen_before(rows[i].regexes, k))
                    continue;
                fprintf(f, "  %s: %s %s%s%s\n", rows[i].info.name, x->fn, x->pattern ? "\"" : "",
                       x->pattern ? x->pattern : "(pattern computed per row)", x->pattern ? "\"" : "");
            }
        fprintf(f, "\n%s", why_regex);
    }
}

static void json_str(sp_buf *b, const char *s)
{
    sp_buf_json_string(b, s ? s : "", s ? strlen(s) : 0);
}

static void write_json(sp_buf *b, const rule_row *rows, int n, uint64_t total, uint64_t events, const ing_stats *is,
                       double load_cpu, const bench_opts *o)
{
    sp_buf_puts(b, "{\"benchmark\":\"rules\",\"data\":{\"files\":[");
    for (int i = 0; i < o->ndata; i++) {
        if (i)
            sp_buf_putc(b, ',');
        json_str(b, o->data[i]);
    }
    sp_buf_printf(b, "],\"events\":%llu,\"records\":%llu,\"rejected\":%llu,\"load_cpu_s\":%.3f},",
                  (unsigned long long)events, (unsigned long long)is->records, (unsigned long long)is->rejected, load_cpu);
    sp_buf_printf(b, "\"rounds\":%d,\"total\":{\"rules\":%d,\"cpu_ns\":%llu,\"ns_per_event\":%.4f,\"events_per_s\":%.0f},",
                  o->rounds, n, (unsigned long long)total, per_event(total, events),
                  total ? (double)events / ((double)total / 1e9) : 0);
    sp_buf_puts(b, "\"rules\":[");
    for (int i = 0; i < n; i++) {
        const rule_row *r = &rows[i];
        const rt_rule_profile *p = &r->best;
        if (i)
            sp_buf_putc(b, ',');
        sp_buf_printf(b, "{\"rank\":%d,\"id\":", i + 1);
        json_str(b, r->info.id);
        sp_buf_puts(b, ",\"name\":");
        json_str(b, r->info.name);
        sp_buf_puts(b, ",\"file\":");
        json_str(b, r->info.file);
        sp_buf_printf(b, ",\"language\":\"%s\",\"kind\":\"%s\",\"severity\":", r->info.is_sigma ? "sigma" : "kql",
                      rt_rule_kind_name(r->info.kind));
        json_str(b, r->info.severity);
        sp_buf_puts(b, ",\"tables\":[");
        for (int t = 0; t < r->info.ntables; t++) {
            if (t)
                sp_buf_putc(b, ',');
            json_str(b, r->info.tables[t]);
        }
        sp_buf_printf(b,
                      "],\"events\":%llu,\"runs\":%llu,\"failures\":%llu,\"cpu_ns\":%llu,\"exec_ns\":%llu,"
                      "\"alert_ns\":%llu,\"filter_ns\":%llu,\"ns_per_event\":%.4f,\"filter_ns_per_event\":%.4f,"
                      "\"share\":%.6f,\"rows_scanned\":%llu,"
                      "\"rows_passed\":%llu,\"selectivity\":%.8f,\"result_rows\":%llu,\"alerts\":%llu,\"flags\":[",
                      (unsigned long long)p->events, (unsigned long long)p->runs, (unsigned long long)p->failures,
                      (unsigned long long)row_cost(r), (unsigned long long)p->exec_ns, (unsigned long long)p->alert_ns,
                      (unsigned long long)p->filter_ns, per_event(row_cost(r), p->events),
                      per_event(p->filter_ns, p->events), ratio(row_cost(r), total), (unsigned long long)p->rows_scanned,
                      (unsigned long long)p->rows_passed, ratio(p->rows_passed, p->rows_scanned),
                      (unsigned long long)p->result_rows, (unsigned long long)p->alerts);
        bool first = true;
        if (r->unfiltered) {
            sp_buf_puts(b, "\"regex-no-prefilter\"");
            first = false;
        }
        if (p->failures)
            sp_buf_puts(b, first ? "\"failed\"" : ",\"failed\"");
        sp_buf_puts(b, "],\"regexes\":[");
        for (int k = 0; k < r->nregexes; k++) {
            const kexec_regex *x = &r->regexes[k];
            if (k)
                sp_buf_putc(b, ',');
            sp_buf_puts(b, "{\"function\":");
            json_str(b, x->fn);
            sp_buf_puts(b, ",\"pattern\":");
            if (x->pattern)
                json_str(b, x->pattern);
            else
                sp_buf_puts(b, "null");
            sp_buf_puts(b, ",\"prefilter\":");
            if (x->literal)
                json_str(b, x->literal);
            else
                sp_buf_puts(b, "null");
            sp_buf_printf(b, ",\"case_insensitive\":%s,\"invalid\":%s,\"line\":%d,\"col\":%d}", x->ci ? "true" : "false",
                          x->invalid ? "true" : "false", x->line, x->col);
        }
        sp_buf_puts(b, "]}");
    }
    sp_buf_puts(b, "],\"notes\":{\"regex-no-prefilter\":");
    json_str(b, why_regex);
    sp_buf_puts(b, "}}\n");
}

/* Text for SVG/XML: the five special characters escaped. */
static void xml_text(sp_buf *b, const char *s, size_t max)
{
    size_t n = 0;
    for (const char *p = s ? s : ""; *p; p++, n++) {
        if (n == max) {
            sp_buf_puts(b, "...");
            break;
        }
        switch (*p) {
        case '&': sp_buf_puts(b, "&amp;"); break;
        case '<': sp_buf_puts(b, "&lt;"); break;
        case '>': sp_buf_puts(b, "&gt;"); break;
        case '"': sp_buf_puts(b, "&quot;"); break;
        case '\'': sp_buf_puts(b, "&apos;"); break;
        default:
            if ((unsigned char)*p >= 0x20 || *p == '\t')
                sp_buf_putc(b, *p);
        }
    }
}

/* A horizontal bar chart: one bar per rule, length = its share of the pack's CPU time,
 * red when the rule has a regex without a prefilter. Plain SVG 1.1, no script, no fonts
 * beyond the generic families. */
static void write_svg(sp_buf *b, const rule_row *rows, int n, int top, uint64_t total, uint64_t events)
{
    int shown = top > 0 && top < n ? top : n;
    const int label_w = 430, bar_w = 420, value_w = 260, row_h = 18, head = 64;
    int width = label_w + bar_w + value_w, height = head + row_h * (shown ? shown : 1) + 30;
    uint64_t maxc = shown ? row_cost(&rows[0]) : 0;
    for (int i = 0; i < shown; i++)
        if (row_cost(&rows[i]) > maxc)
            maxc = row_cost(&rows[i]);
    sp_buf_printf(b,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
                  "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n",
                  width, height, width, height);
    sp_buf_printf(b, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
    sp_buf_printf(b,
                  "<text x=\"8\" y=\"20\" font-size=\"14\" font-weight=\"bold\">socpipe bench rules: CPU time per rule "
                  "(%d rules, %llu events)</text>\n",
                  n, (unsigned long long)events);
    sp_buf_printf(b,
                  "<text x=\"8\" y=\"38\">total %.2f ms = %.2f ns/event; bar = share of the pack's CPU time; "
                  "label = ns/event, share, selectivity</text>\n",
                  (double)total / 1e6, per_event(total, events));
    sp_buf_printf(b,
                  "<rect x=\"8\" y=\"46\" width=\"10\" height=\"10\" fill=\"#d62728\"/><text x=\"22\" y=\"55\">regex "
                  "without a literal prefilter</text>\n");
    for (int i = 0; i < shown; i++) {
        const rule_row *r = &rows[i];
        int y = head + i * row_h;
        double w = maxc ? (double)bar_w * (double)row_cost(r) / (double)maxc : 0;
        char sel[32];
        fmt_selectivity(sel, sizeof sel, &r->best);
        sp_buf_printf(b, "<g>\n<title>");
        xml_text(b, r->info.name, 400);
        sp_buf_printf(b, " (%s, %s): %.3f ms cpu, %llu runs, %llu alerts</title>\n", rt_rule_kind_name(r->info.kind),
                      r->info.is_sigma ? "sigma" : "kql", (double)row_cost(r) / 1e6, (unsigned long long)r->best.runs,
                      (unsigned long long)r->best.alerts);
        sp_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + 12);
        xml_text(b, r->info.name, 68);
        sp_buf_puts(b, "</text>\n");
        sp_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", label_w, y + 2, w,
                      row_h - 4, r->unfiltered ? "#d62728" : "#1f77b4");
        sp_buf_printf(b, "<text x=\"%.1f\" y=\"%d\">%.2f ns/ev, %.1f%%, sel %s</text>\n</g>\n", label_w + w + 4, y + 12,
                      per_event(row_cost(r), r->best.events), 100.0 * ratio(row_cost(r), total), sel);
    }
    if (shown < n)
        sp_buf_printf(b, "<text x=\"8\" y=\"%d\">... %d more rules</text>\n", head + shown * row_h + 14, n - shown);
    sp_buf_puts(b, "</svg>\n");
}

static int write_out(const char *path, const sp_buf *b)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "socpipe: cannot write %s\n", path);
        return -1;
    }
    bool ok = fwrite(b->data, 1, b->len, f) == b->len;
    if (f != stdout)
        ok = fclose(f) == 0 && ok;
    else
        ok = fflush(f) == 0 && ok;
    if (!ok)
        fprintf(stderr, "socpipe: cannot write %s\n", path);
    return ok ? 0 : -1;
}

/* Rows resident in every table the store holds, watchlists excluded. */
static uint64_t resident_events(sp_store *store)
{
    int n = sp_store_tables(store, NULL, 0);
    sp_table **ts = calloc((size_t)(n ? n : 1), sizeof *ts);
    n = sp_store_tables(store, ts, n);
    uint64_t rows = 0;
    for (int i = 0; i < n; i++) {
        if (!strncmp(sp_table_name(ts[i]), "watchlist:", 10))
            continue;
        sp_table_stats st;
        sp_table_stats_get(ts[i], &st);
        rows += st.rows;
    }
    free(ts);
    return rows;
}

int cmd_bench_rules(int argc, char **argv)
{
    static const char usage[] =
        "usage: socpipe bench rules --rules PATH... --data FILE... [--json FILE] [--svg FILE] [--rounds N]\n"
        "                           [--top N] [--table NAME] [--watchlists DIR] [--placeholders FILE] [--mapping FILE]\n"
        "                           [--chunk-rows N] [--skip-rejected]";
    bench_opts o;
    int rc = parse_opts(argc, argv, &o, usage);
    if (rc != SP_EXIT_OK)
        return rc;
    o.cfg.profile = true;
    sp_store *store = bench_store(&o);
    /* The data first, with no engine attached: loading runs no rule. */
    ing_stats is;
    double c0 = process_cpu_s();
    if (ingest_files(store, &o, &is) != 0) {
        sp_store_free(store);
        opts_free(&o);
        return SP_EXIT_FAIL;
    }
    double load_cpu = process_cpu_s() - c0;
    uint64_t events = resident_events(store);
    rt_engine *e = rt_engine_new(store, &o.cfg);
    if (load_rules(e, &o, false) != 0) {
        fprintf(stderr, "socpipe: rule errors: nothing measured (--skip-rejected measures the rest)\n");
        rt_engine_free(e);
        sp_store_free(store);
        opts_free(&o);
        return SP_EXIT_USAGE;
    }
    count_sink *sink = count_sink_new();
    rt_engine_add_sink(e, &sink->base);
    int n = rt_engine_rule_count(e);
    rule_row *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    for (int i = 0; i < n; i++) {
        rows[i].index = i;
        rt_engine_rule_info(e, i, &rows[i].info);
        rows[i].nregexes = rt_engine_rule_regexes(e, i, &rows[i].regexes);
        for (int k = 0; k < rows[i].nregexes; k++)
            rows[i].unfiltered += regex_unfiltered(&rows[i].regexes[k]) && !regex_seen_before(rows[i].regexes, k);
    }
    /* Rounds interleave the rules, so a burst of noise hits one round of many rules
     * rather than every round of one. */
    for (int round = 0; round < o.rounds; round++)
        for (int i = 0; i < n; i++) {
            rt_rule_profile p;
            rt_engine_profile_rule(e, i, &p);
            if (!rows[i].measured || p.exec_ns + p.alert_ns < row_cost(&rows[i])) {
                rows[i].best = p;
                rows[i].measured = true;
            }
        }
    qsort(rows, (size_t)n, sizeof *rows, by_cost_desc);
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += row_cost(&rows[i]);
    /* JSON or SVG on stdout: the table goes to stderr then. */
    bool to_stdout = (o.json && !strcmp(o.json, "-")) || (o.svg && !strcmp(o.svg, "-"));
    print_table(to_stdout ? stderr : stdout, rows, n, o.top, total, events, load_cpu, &is, o.rounds);
    rc = SP_EXIT_OK;
    if (o.json) {
        sp_buf b = {0};
        write_json(&b, rows, n, total, events, &is, load_cpu, &o);
        if (write_out(o.json, &b) != 0)
            rc = SP_EXIT_FAIL;
        sp_buf_free(&b);
    }
    if (o.svg) {
        sp_buf b = {0};
        write_svg(&b, rows, n, o.top, total, events);
        if (write_out(o.svg, &b) != 0)
            rc = SP_EXIT_FAIL;
        sp_buf_free(&b);
    }
    for (int i = 0; i < n; i++)
        kexec_regexes_free(rows[i].regexes, rows[i].nregexes);
    free(rows);
    rt_engine_free(e);
    sp_store_free(store);
    opts_free(&o);
    return rc;
}

/* ---- bench pack ---- */

typedef struct pack_pass {
    double cpu, wall;
    double rules_cpu; /* the rules' own thread CPU time (plans and alerts), summed */
    uint64_t records, rows, alerts;
} pack_pass;

/* One replay: a fresh store and engine (with or without the rules), ingest, finish. The
 * pass with the rules keeps the per-rule cost counters, so the rules' own CPU time is read
 * directly: the difference of the two passes' totals is a difference of two noisy numbers
 * ten times its size on a shared machine (it ranged 0.1-0.9 s for the same 0.5 s of rules). */
static int pack_pass_run(const bench_opts *o, bool with_rules, pack_pass *out)
{
    sp_store *store = bench_store(o);
    rt_config cfg = o->cfg;
    cfg.profile = with_rules;
    rt_engine *e = rt_engine_new(store, &cfg);
    if (with_rules && load_rules(e, o, true) != 0) {
        rt_engine_free(e);
        sp_store_free(store);
        return SP_EXIT_USAGE;
    }
    count_sink *sink = count_sink_new();
    rt_engine_add_sink(e, &sink->base);
    ing_stats is;
    double c0 = process_cpu_s(), w0 = wall_s();
    int rc = ingest_files(store, o, &is);
    rt_engine_finish(e);
    out->cpu = process_cpu_s() - c0;
    out->wall = wall_s() - w0;
    out->records = is.records;
    out->rows = is.rows;
    out->alerts = sink->alerts;
    uint64_t ns = 0;
    for (int i = 0; with_rules && i < rt_engine_rule_count(e); i++) {
        rt_rule_profile p;
        rt_engine_rule_profile(e, i, &p);
        ns += p.exec_ns + p.alert_ns;
    }
    out->rules_cpu = (double)ns / 1e9;
    rt_engine_free(e);
    sp_store_free(store);
    return rc == 0 ? SP_EXIT_OK : SP_EXIT_FAIL;
}

int cmd_bench_pack(int argc, char **argv)
{
    static const char usage[] =
        "usage: socpipe bench pack --rules PATH... --data FILE... [--rounds N] [--table NAME]\n"
        "                          [--watchlists DIR] [--placeholders FILE] [--mapping FILE] [--json FILE]\n"
        "                          [--chunk-rows N] [--skip-rejected]";
    bench_opts o;
    int rc = parse_opts(argc, argv, &o, usage);
    if (rc != SP_EXIT_OK)
        return rc;
    /* The rules are loaded (and reported) once before timing anything. */
    {
        sp_store *store = sp_store_new(NULL);
        rt_engine *e = rt_engine_new(store, &o.cfg);
        int errors = load_rules(e, &o, false);
        int nrules = rt_engine_rule_count(e);
        rt_engine_free(e);
        sp_store_free(store);
        if (errors) {
            fprintf(stderr, "socpipe: rule errors: nothing measured (--skip-rejected measures the rest)\n");
            opts_free(&o);
            return SP_EXIT_USAGE;
        }
        printf("pack: %d rules; replay with all of them against replay with none, alternating, best of %d round%s\n",
               nrules, o.rounds, o.rounds == 1 ? "" : "s");
    }
    pack_pass best[2] = {{0}}; /* 0: no rules, 1: the pack */
    double rules_cpu = 0;      /* best round of the rules' own time */
    for (int round = 0; round < o.rounds; round++)
        for (int with = 0; with < 2; with++) {
            pack_pass p;
            rc = pack_pass_run(&o, with == 1, &p);
            if (rc != SP_EXIT_OK) {
                opts_free(&o);
                return rc;
            }
            if (round == 0 || p.cpu < best[with].cpu)
                best[with] = p;
            if (with == 1 && (round == 0 || p.rules_cpu < rules_cpu))
                rules_cpu = p.rules_cpu;
        }
    const char *names[2] = {"replay, no rules", "replay, the pack"};
    printf("%-20s %10s %10s %14s %14s %10s\n", "pass (best cpu)", "cpu s", "wall s", "events/s cpu", "events/s wall",
           "alerts");
    for (int i = 0; i < 2; i++)
        printf("%-20s %10.3f %10.3f %14.0f %14.0f %10llu\n", names[i], best[i].cpu, best[i].wall,
               (double)best[i].records / best[i].cpu, (double)best[i].records / best[i].wall,
               (unsigned long long)best[i].alerts);
    double cost = best[0].cpu > 0 ? (best[1].cpu - best[0].cpu) / best[0].cpu : 0;
    printf("rate with the pack / rate without: %.3fx\n", best[1].cpu > 0 ? best[0].cpu / best[1].cpu : 0);
    printf("the pack costs %.1f%% of ingest time (target <= 20%%): %s\n", 100.0 * cost, cost <= 0.20 ? "met" : "NOT met");
    printf("the rules' own cpu (per-rule thread clocks, best round): %.3f s = %.1f ns per event; pack minus no rules: %.3f s\n",
           rules_cpu, best[1].records ? 1e9 * rules_cpu / (double)best[1].records : 0, best[1].cpu - best[0].cpu);
    if (o.json) {
        sp_buf b = {0};
        sp_buf_printf(&b, "{\"benchmark\":\"pack\",\"rounds\":%d,\"records\":%llu", o.rounds,
                      (unsigned long long)best[0].records);
        const char *keys[2] = {"no_rules", "pack"};
        for (int i = 0; i < 2; i++)
            sp_buf_printf(&b, ",\"%s\":{\"cpu_s\":%.4f,\"wall_s\":%.4f,\"events_per_s\":%.0f,\"alerts\":%llu}", keys[i],
                          best[i].cpu, best[i].wall, (double)best[i].records / best[i].cpu,
                          (unsigned long long)best[i].alerts);
        sp_buf_printf(&b, ",\"rules_cpu_s\":%.4f,\"cost_share\":%.4f,\"target\":0.20,\"met\":%s}\n", rules_cpu, cost,
                      cost <= 0.20 ? "true" : "false");
        if (write_out(o.json, &b) != 0)
            rc = SP_EXIT_FAIL;
        sp_buf_free(&b);
    }
    opts_free(&o);
    return rc;
}
