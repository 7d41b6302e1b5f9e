/* test_kql_parse.c — the KQL parser: table-driven cases (query -> S-expression of the
 * AST, as printed by kql_ast_dump), precedence, literal decoding, error positions and
 * messages, and the node positions the binder relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kql/kql.h"

typedef struct parse_case {
    const char *query;
    const char *want;
} parse_case;

/* Generated from the parser output once and reviewed by hand; the trees are the contract. */
static const parse_case precedence_cases[] = {
    {"T | where a or b and c",
     "(pipe T (where (or a (and b c))))"},
    {"print not(x) and y",
     "(pipe (print (and (call not x) y)))"},
    {"print a + b * c",
     "(pipe (print (+ a (* b c))))"},
    {"T | where x !in (\"a\")",
     "(pipe T (where (!in x \"a\")))"},
    {"T | where (a or b) and c",
     "(pipe T (where (and (or a b) c)))"},
    {"print - 1d, -a * b, a - -b",
     "(pipe (print (neg (timespan 1.00:00:00)) (* (neg a) b) (- a (neg b))))"},
    {"print a % b * c / d",
     "(pipe (print (/ (* (% a b) c) d)))"},
    {"print a < b == c",
     "(pipe (print (== (< a b) c)))"},
    {"print a has b < c",
     "(pipe (print (< (has a b) c)))"},
    {"print a < b in (1)",
     "(pipe (print (in (< a b) 1)))"},
    {"print a =~ b != c",
     "(pipe (print (!= (=~ a b) c)))"},
    {"print a == b has c",
     "(pipe (print (== a (has b c))))"},
};
static const parse_case string_operators_cases[] = {
    {"T | where x in~ (\"a\", \"b\") and y !in~ (1)",
     "(pipe T (where (and (in~ x \"a\" \"b\") (!in~ y 1))))"},
    {"T | where x has_any (\"a\",\"b\") or x has_all (L)",
     "(pipe T (where (or (has_any x \"a\" \"b\") (has_all x L))))"},
    {"T | where x between (1 .. 10) and y !between (datetime(2020-01-01) .. 1d)",
     "(pipe T (where (and (between x 1 10) (!between y (datetime 2020-01-01T00:00:00.0000000Z) (timespan 1.00:00:00)))))"},
    {"T | where a !has \"x\" and a has_cs \"y\" and a !has_cs \"z\" and a hasprefix \"p\" and a !hasprefix \"q\" and a hasprefix_cs \"r\" and a hassuffix \"s\" and a !hassuffix \"t\" and a hassuffix_cs \"u\"",
     "(pipe T (where (and (and (and (and (and (and (and (and (!has a \"x\") (has_cs a \"y\")) (!has_cs a \"z\")) (hasprefix a \"p\")) (!hasprefix a \"q\")) (hasprefix_cs a \"r\")) (hassuffix a \"s\")) (!hassuffix a \"t\")) (hassuffix_cs a \"u\"))))"},
    {"T | where a contains \"x\" and a !contains \"y\" and a contains_cs \"z\" and a !contains_cs \"w\" and a startswith \"s\" and a !startswith \"t\" and a startswith_cs \"u\" and a !startswith_cs \"v\" and a endswith \"e\" and a !endswith \"f\" and a endswith_cs \"g\" and a !endswith_cs \"h\"",
     "(pipe T (where (and (and (and (and (and (and (and (and (and (and (and (contains a \"x\") (!contains a \"y\")) (contains_cs a \"z\")) (!contains_cs a \"w\")) (startswith a \"s\")) (!startswith a \"t\")) (startswith_cs a \"u\")) (!startswith_cs a \"v\")) (endswith a \"e\")) (!endswith a \"f\")) (endswith_cs a \"g\")) (!endswith_cs a \"h\"))))"},
    {"T | where a matches regex \"^x\" and b =~ \"y\" and c !~ \"z\" and d <> 1",
     "(pipe T (where (and (and (and (matches regex a \"^x\") (=~ b \"y\")) (!~ c \"z\")) (!= d 1))))"},
    {"T | where a in (T2 | project x)",
     "(pipe T (where (in a (pipe T2 (project x)))))"},
    {"T | where a in (L)",
     "(pipe T (where (in a L)))"},
    {"T | where a has_any (dynamic([\"x\"]))",
     "(pipe T (where (has_any a (dynamic [\"x\"]))))"},
};
static const parse_case expressions_cases[] = {
    {"print x = a.b.c, y = a[\"b\"], z = a[0], w = a[-1], v = $left.col",
     "(pipe (print (= x (. (. a b) c)) (= y ([] a \"b\")) (= z ([] a 0)) (= w ([] a (neg 1))) (= v (. $left col))))"},
    {"print iff(a, 1, 2), case(a, 1, b, 2, 3), column_ifexists(\"x\", \"\")",
     "(pipe (print (call iff a 1 2) (call case a 1 b 2 3) (call column_ifexists \"x\" \"\")))"},
    {"print arg_max(TimeGenerated, *), count(), bag_unpack(c, columnsConflict='replace_source')",
     "(pipe (print (call arg_max TimeGenerated *) (call count) (call bag_unpack c (= columnsConflict \"replace_source\"))))"},
    {"print x.[0].[\"#text\"], ['a b'].c",
     "(pipe (print (. ([] x 0) [\"#text\"]) (. [\"a b\"] c)))"},
    {"print typeof(long), typeof(string), typeof(a:string, b:int)",
     "(pipe (print (typeof long) (typeof string) (typeof (a:string b:int))))"},
    {"T | extend count = 1, type = 2 | project count, type",
     "(pipe T (extend (= count 1) (= type 2)) (project count type))"},
    {"T | extend (a, b) = f(x)",
     "(pipe T (extend (= (a b) (call f x))))"},
    {"print ['Name with spaces'] = 1, [\"x\"] = 2",
     "(pipe (print (= [\"Name with spaces\"] 1) (= x 2)))"},
};
static const parse_case literals_cases[] = {
    {"print dynamic([1,\"a\",{\"b\":2}]), dynamic({\"a\":[true,false,null]}), dynamic(null), todynamic(\"[]\")",
     "(pipe (print (dynamic [1,\"a\",{\"b\":2}]) (dynamic {\"a\":[true,false,null]}) (dynamic null) (call todynamic \"[]\")))"},
    {"print dynamic([-1, 2.5, 1d, datetime(2020-01-01), 'x'])",
     "(pipe (print (dynamic [-1,2.5,\"1.00:00:00\",\"2020-01-01T00:00:00.0000000Z\",\"x\"])))"},
    {"print \"a\\\"b\", 'c\\'d', \"\\\\\", \"\\n\\t\", \"\\u0041\", @\"c:\\x\", @'a''b', h\"secret\", h@\"x\\y\"",
     "(pipe (print \"a\\\"b\" \"c'd\" \"\\\\\" \"\\n\\t\" \"A\" \"c:\\\\x\" \"a'b\" (h \"secret\") (h \"x\\\\y\")))"},
    {"print ```multi\nline```",
     "(pipe (print \"multi\\nline\"))"},
    {"print \"a\" \"b\" 'c'",
     "(pipe (print \"abc\"))"},
    {"print 123, 0x1F, 1.5, 1e3, 1., real(1.5), real(null), real(nan), real(+inf), real(-inf), long(null), long(-5), int(5), bool(true), true, false, decimal(2.5)",
     "(pipe (print 123 31 (real 1.5) (real 1000) (real 1) (real 1.5) (real null) (real nan) (real +inf) (real -inf) (long null) -5 (int 5) true true false (real 2.5)))"},
    {"print 2d, 1.5h, 30m, 10s, 100ms, 10microsecond, 1tick, 2days, 3hours, 5min, 1sec",
     "(pipe (print (timespan 2.00:00:00) (timespan 01:30:00) (timespan 00:30:00) (timespan 00:00:10) (timespan 00:00:00.1000000) (timespan 00:00:00.0000100) (timespan 00:00:00.0000001) (timespan 2.00:00:00) (timespan 03:00:00) (timespan 00:05:00) (timespan 00:00:01)))"},
    {"print time(1d), timespan(0.12:34:56.7), timespan(15 seconds), timespan(2), time(null)",
     "(pipe (print (timespan 1.00:00:00) (timespan 12:34:56.7000000) (timespan 00:00:15) (timespan 2.00:00:00) (timespan null)))"},
    {"print datetime(2024-01-31 23:59:59.9), datetime(2024-01-31T23:59:59Z), datetime(null), date(2024-02-01)",
     "(pipe (print (datetime 2024-01-31T23:59:59.9000000Z) (datetime 2024-01-31T23:59:59.0000000Z) (datetime null) (datetime 2024-02-01T00:00:00.0000000Z)))"},
    {"print guid(74BE27DE-1e4e-49d9-b579-fe0b331d3642), guid(null)",
     "(pipe (print (guid 74be27de-1e4e-49d9-b579-fe0b331d3642) (guid null)))"},
};
static const parse_case statements_cases[] = {
    {"let f = (a:string, b:int = 5) { a };\nf(\"x\")",
     "(let f (lambda ((a:string) (b:int 5)) a))\n(call f \"x\")"},
    {"let g = (T:(*)) { T | count };\nlet h = (T:(col:string)) { T | take 1 };\ng(U)",
     "(let g (lambda ((T:(*))) (pipe T (count))))\n(let h (lambda ((T:(col:string))) (pipe T (take 1))))\n(call g U)"},
    {"let m = materialize(T | take 1);\nlet d = datatable(a:string, b:long)[ \"x\", 1, \"y\", 2 ];\nm | union d",
     "(let m (call materialize (pipe T (take 1))))\n(let d (datatable (a:string b:long) \"x\" 1 \"y\" 2))\n(pipe m (union d))"},
    {"let s = toscalar(T | summarize count());\nprint s",
     "(let s (call toscalar (pipe T (summarize (call count)))))\n(pipe (print s))"},
    {"set notruncation;\nset query_now = datetime(2024-01-01);\nT",
     "(set notruncation)\n(set query_now (datetime 2024-01-01T00:00:00.0000000Z))\nT"},
    {"declare query_parameters(name:string = \"x\", n:long = 5);\nT | where a == name",
     "(declare ((name:string \"x\") (n:long 5)))\n(pipe T (where (== a name)))"},
    {"let v = view () { T };\nv",
     "(let v (view () T))\nv"},
    {"let f = (a:string) { let b = a; b };\nf('x');",
     "(let f (lambda ((a:string)) (let b a) b))\n(call f \"x\")"},
    {"let x = 5m;\n;;\nT | where t > ago(x);",
     "(let x (timespan 00:05:00))\n(pipe T (where (> t (call ago x))))"},
};
static const parse_case operators_cases[] = {
    {"T | project-away a, b* | project-keep c, *_s | project-rename x = y, ['n 1'] = z | project-reorder z, w desc",
     "(pipe T (project-away a b*) (project-keep c *_s) (project-rename (= x y) (= [\"n 1\"] z)) (project-reorder (asc z) (desc w)))"},
    {"T | summarize hint.shufflekey=a count(), X = dcount(b) by bin(TimeGenerated, 1h), c",
     "(pipe T (summarize hint.shufflekey=a (call count) (= X (call dcount b)) (by (call bin TimeGenerated (timespan 01:00:00)) c)))"},
    {"T | summarize by a, b",
     "(pipe T (summarize (by a b)))"},
    {"T | summarize make_set(x, 100)",
     "(pipe T (summarize (call make_set x 100)))"},
    {"T | sort by a asc nulls first, b desc nulls last | order by c",
     "(pipe T (sort (asc a nulls-first) (desc b nulls-last)) (sort (desc c)))"},
    {"T | where a | filter b | take 10 | limit 5",
     "(pipe T (where a) (where b) (take 10) (take 5))"},
    {"T | top 5 by a desc nulls last",
     "(pipe T (top 5 (desc a nulls-last)))"},
    {"T | top-nested 3 of a by count(), top-nested 2 of b with others = \"other\" by sum(c) desc",
     "(pipe T (top-nested (level 3 (of a) (desc (call count))) (level 2 (of b) (others \"other\") (desc (call sum c)))))"},
    {"T | distinct a, b | count",
     "(pipe T (distinct a b) (count))"},
    {"T | distinct *",
     "(pipe T (distinct *))"},
    {"union kind=outer isfuzzy=true withsource=Src Signin*, table(\"X\"), (T | where x)",
     "(pipe (union kind=outer isfuzzy=true withsource=Src Signin* (call table \"X\") (pipe T (where x))))"},
    {"T | union U, V",
     "(pipe T (union U V))"},
    {"T | join kind=leftouter hint.strategy=shuffle (T2 | where y) on col, $left.a == $right.b",
     "(pipe T (join kind=leftouter hint.strategy=shuffle (pipe T2 (where y)) (on col (== (. $left a) (. $right b)))))"},
    {"T | join U on a",
     "(pipe T (join U (on a)))"},
    {"T | lookup kind=leftouter (T2) on a",
     "(pipe T (lookup kind=leftouter T2 (on a)))"},
    {"T | mv-expand bagexpansion=array with_itemindex=I col to typeof(string), b limit 10",
     "(pipe T (mv-expand bagexpansion=array with_itemindex=I (to col string) b (limit 10)))"},
    {"T | mvexpand col | mv-expand x = parse_json(y)",
     "(pipe T (mv-expand col) (mv-expand (= x (call parse_json y))))"},
    {"T | mv-apply x to typeof(long) on (summarize sum(x))",
     "(pipe T (mv-apply (to x long) (on (pipe (summarize (call sum x))))))"},
    {"T | mv-apply with_itemindex=i d = todynamic(p) on (where d.a == 1 | project d)",
     "(pipe T (mv-apply with_itemindex=i (= d (call todynamic p)) (on (pipe (where (== (. d a) 1)) (project d)))))"},
    {"T | parse kind=regex flags=Ui x with \"a\" b:long \".*\" c",
     "(pipe T (parse kind=regex flags=Ui x (with \"a\" b:long \".*\" c)))"},
    {"T | parse x with * \"lit\" col:int \"x\" *",
     "(pipe T (parse x (with * \"lit\" col:int \"x\" *)))"},
    {"T | parse-where x with \"a\" b",
     "(pipe T (parse-where x (with \"a\" b)))"},
    {"T | evaluate bag_unpack(col, \"prefix_\")",
     "(pipe T (evaluate (call bag_unpack col \"prefix_\")))"},
    {"T | evaluate hint.distribution=per_node ipv4_lookup(R, ip, net)",
     "(pipe T (evaluate hint.distribution=per_node (call ipv4_lookup R ip net)))"},
    {"T | make-series c=count() default=0 on t from ago(1d) to now() step 1h by k",
     "(pipe T (make-series (default (= c (call count)) 0) (on t) (from (call ago (timespan 1.00:00:00))) (to (call now)) (step (timespan 01:00:00)) (by k)))"},
    {"T | make-series c=count() on t in range(ago(1d), now(), 1h)",
     "(pipe T (make-series (= c (call count)) (on t) (in-range (call ago (timespan 1.00:00:00)) (call now) (timespan 01:00:00))))"},
    {"T | make-series c=avg(x) on t step 1d",
     "(pipe T (make-series (= c (call avg x)) (on t) (step (timespan 1.00:00:00))))"},
    {"T | extend x = 1 | invoke func()",
     "(pipe T (extend (= x 1)) (invoke (call func)))"},
    {"T | as Foo | getschema",
     "(pipe T (as Foo) (getschema))"},
    {"T | serialize | serialize rn = row_number()",
     "(pipe T (serialize) (serialize (= rn (call row_number))))"},
    {"T | sample 10 | sample-distinct 5 of a",
     "(pipe T (sample 10) (sample-distinct 5 a))"},
    {"T | render timechart with (title=\"x\")",
     "(pipe T (render timechart (with (= title \"x\"))))"},
    {"T | render table",
     "(pipe T (render table))"},
    {"search \"foo\"",
     "(pipe (search \"foo\"))"},
    {"search in (T1, T2) x == \"y\"",
     "(pipe (search (in T1 T2) (== x \"y\")))"},
    {"T | search \"foo\"",
     "(pipe T (search \"foo\"))"},
    {"search kind=case_sensitive \"x\"",
     "(pipe (search kind=case_sensitive \"x\"))"},
    {"T | facet by a, b with (top 3 by c)",
     "(pipe T (facet (by a b) (with (pipe (top 3 (desc c))))))"},
    {"T | facet by a",
     "(pipe T (facet (by a)))"},
    {"externaldata(a:string, b:long)[@\"https://x\"] with (format=\"csv\", ignoreFirstRecord=True)",
     "(externaldata (a:string b:long) \"https://x\" (with (= format \"csv\") (= ignoreFirstRecord true)))"},
    {"range x from 1 to 10 step 1 | extend y = x * 2",
     "(pipe (range x 1 10 1) (extend (= y (* x 2))))"},
    {"print x = 1, 2",
     "(pipe (print (= x 1) 2))"},
    {"T | where x == 1 // comment\n// another\n| project x",
     "(pipe T (where (== x 1)) (project x))"},
    {"T | where x == \"y\" | extend z = 1;",
     "(pipe T (where (== x \"y\")) (extend (= z 1)))"},
};

static void run_cases(const parse_case *cases, size_t n)
{
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        sp_arena arena = {0};
        kql_query *q = NULL;
        sp_diag err = {0};
        sp_buf got = {0};
        if (kql_parse(cases[i].query, strlen(cases[i].query), &arena, &q, &err) != 0) {
            fprintf(stderr, "case %zu: parse failed: %s\n  query: %s\n", i, err.msg,
                    cases[i].query);
            sp_diag_print(stderr, &err);
            failures++;
        } else {
            kql_ast_dump(&got, q);
            if (strcmp(sp_buf_cstr(&got), cases[i].want) != 0) {
                fprintf(stderr, "case %zu: %s\n  want: %s\n  got:  %s\n", i, cases[i].query,
                        cases[i].want, sp_buf_cstr(&got));
                failures++;
            }
        }
        sp_buf_free(&got);
        sp_arena_free(&arena);
    }
    assert_int_equal(failures, 0);
}

#define RUN(table) run_cases(table, SP_ARRAY_LEN(table))

static void test_precedence_follows_kusto_grammar(void **st)
{
    (void)st;
    RUN(precedence_cases);
}

static void test_string_and_list_operators(void **st)
{
    (void)st;
    RUN(string_operators_cases);
}

static void test_expressions_names_members_calls(void **st)
{
    (void)st;
    RUN(expressions_cases);
}

static void test_literals_are_decoded(void **st)
{
    (void)st;
    RUN(literals_cases);
}

static void test_statements_let_set_declare_functions(void **st)
{
    (void)st;
    RUN(statements_cases);
}

static void test_every_tabular_operator(void **st)
{
    (void)st;
    RUN(operators_cases);
}

/* ---- errors ---------------------------------------------------------------------------- */

typedef struct error_case {
    const char *query;
    int line, col;
    const char *msg;
} error_case;

static const error_case error_cases[] = {
    {"T | whre x", 1, 5, "unknown tabular operator 'whre'"},
    {"T | summarize count(x by y", 1, 23, "expected ')' after arguments of 'count', found 'by'"},
    {"T | where a == \"x", 1, 16, "unterminated string literal"},
    {"T\n| where x = 1", 2, 11, "'=' is assignment; compare with '==' in where"},
    {"T | find \"x\"", 1, 5, "unsupported: tabular operator 'find'"},
    {"T | fork (take 1)", 1, 5, "unsupported: tabular operator 'fork'"},
    {"T | where !x", 1, 11, "'!' is not an operator in KQL; use not(...)"},
    {"T | where x in \"a\"", 1, 16, "expected '(' after 'in', found '\"a\"'"},
    {"T | sort a", 1, 10, "expected 'by' after 'sort'/'order', found 'a'"},
    {"T |", 1, 4, "expected a tabular operator after '|', found end of query"},
    {"print datetime(2024-13-01)", 1, 7, "invalid datetime literal '2024-13-01'"},
    {"print 5x", 1, 7,
     "invalid number '5x' (a timespan unit is one of d, h, m, s, ms, microsecond, tick, ...)"},
    {"let x = 1\nT", 2, 1, "unexpected 'T'; expected '|', ';' or end of query"},
    {"T | where a > 1 whre b", 1, 17,
     "unexpected 'whre' after expression; expected '|' before an operator, or ';' between "
     "statements"},
    {"T | join kind=inner (U on x", 1, 24,
     "expected ')' to close the join subquery opened at 1:21, found 'on'"},
    {"T | where a == b == c", 1, 18, "unexpected '=='; expected '|', ';' or end of query"},
    {"T | join kind=innr (U) on x", 1, 15,
     "unknown join kind 'innr' (want inner, innerunique, leftouter, rightouter, fullouter, "
     "leftanti, rightanti, leftsemi, rightsemi)"},
    {"print \"\\d\"", 1, 8, "invalid escape '\\d' in string literal (use @\"...\" for verbatim text)"},
    {"T\n| take 1\n| mv-expand", 3, 12, "expected expression, found end of query"},
    {"T | extend x = dynamic({a:1})", 1, 25,
     "expected a string property name in dynamic({...}), found 'a'"},
    {"T | parse x with", 1, 17, "expected a pattern after 'with' in parse, found end of query"},
    {"let f = (a:strin) { a };\nf(\"x\")", 1, 12, "unknown type 'strin'"},
    {"print int(x)", 1, 11, "expected a literal of type int inside int(...), found 'x'"},
    {"T | where x between (1, 2)", 1, 23, "expected '..' between the bounds of 'between', found ','"},
    {"T | where x has", 1, 16, "expected expression, found end of query"},
    {"  \n  // nothing\n", 3, 1, "empty query"},
    {"T | where a ==\n// trailing comment\n\n", 1, 15, "expected expression, found end of query"},
    {"T | extend x = @", 1, 16, "unexpected character '@'"},
    {"T | project a, b\n  | where c == 'x' and (d or e", 2, 31,
     "expected ')' to close '(' at 2:24, found end of query"},
};

static void test_syntax_errors_name_the_construct_with_line_and_column(void **st)
{
    (void)st;
    int failures = 0;
    for (size_t i = 0; i < SP_ARRAY_LEN(error_cases); i++) {
        const error_case *c = &error_cases[i];
        sp_arena arena = {0};
        kql_query *q = NULL;
        sp_diag err = {0};
        int rc = kql_parse(c->query, strlen(c->query), &arena, &q, &err);
        if (rc == 0 || err.line != c->line || err.col != c->col || strcmp(err.msg, c->msg)) {
            fprintf(stderr, "error case %zu: %s\n  want %d:%d: %s\n  got  rc=%d %d:%d: %s\n", i,
                    c->query, c->line, c->col, c->msg, rc, err.line, err.col, err.msg);
            failures++;
        }
        assert_true(rc != 0 ? q == NULL : true);
        sp_arena_free(&arena);
    }
    assert_int_equal(failures, 0);
}

static void test_error_prints_offending_line_and_caret(void **st)
{
    (void)st;
    const char *text = "T\n| where a == 1\n| summarize count(x by y\n| take 1";
    sp_arena arena = {0};
    kql_query *q;
    sp_diag err = {0};
    assert_int_equal(kql_parse(text, strlen(text), &arena, &q, &err), -1);
    snprintf(err.file, sizeof err.file, "rule.yaml");
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    sp_diag_print(f, &err);
    fclose(f);
    assert_string_equal(out, "rule.yaml:3:21: expected ')' after arguments of 'count', found "
                             "'by'\n  | summarize count(x by y\n                      ^~\n");
    free(out);
    sp_arena_free(&arena);
}

static void test_deep_nesting_is_an_error_not_a_crash(void **st)
{
    (void)st;
    sp_buf b = {0};
    sp_buf_puts(&b, "print ");
    for (int i = 0; i < 100000; i++)
        sp_buf_putc(&b, '(');
    sp_buf_puts(&b, "1");
    sp_arena arena = {0};
    kql_query *q;
    sp_diag err = {0};
    assert_int_equal(kql_parse(b.data, b.len, &arena, &q, &err), -1);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    b.len = 0;
    sp_buf_puts(&b, "print ");
    for (int i = 0; i < 100000; i++)
        sp_buf_putc(&b, '-');
    sp_buf_puts(&b, "1");
    assert_int_equal(kql_parse(b.data, b.len, &arena, &q, &err), -1);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    sp_arena_free(&arena);
    sp_buf_free(&b);
}

/* ---- the AST contract ------------------------------------------------------------------ */

static void test_nodes_carry_source_positions(void **st)
{
    (void)st;
    const char *text = "let t = 1h;\nSigninLogs\n| where  ResultType == \"0\" and x in (1, 2)";
    sp_arena arena = {0};
    kql_query *q;
    sp_diag err = {0};
    assert_int_equal(kql_parse(text, strlen(text), &arena, &q, &err), 0);
    assert_int_equal(q->nstmts, 2);
    const kql_stmt *let = q->stmts[0];
    assert_int_equal(let->kind, KQL_S_LET);
    assert_string_equal(let->u.let.name.name.s, "t");
    assert_int_equal(let->u.let.name.pos.col, 5);
    assert_int_equal(let->u.let.value->u.lit.v.ticks, SP_TICKS_PER_HOUR);
    const kql_expr *pipe = q->stmts[1]->u.expr;
    assert_int_equal(pipe->kind, KQL_E_PIPE);
    assert_int_equal(pipe->pos.line, 2);
    assert_int_equal(pipe->pos.end, strlen(text));
    const kql_expr *src = pipe->u.pipe.source;
    assert_int_equal(src->kind, KQL_E_NAME);
    assert_string_equal(src->u.name.name.s, "SigninLogs");
    assert_int_equal(src->u.name.name.len, 10);
    assert_int_equal(pipe->u.pipe.nops, 1);
    const kql_op *w = pipe->u.pipe.ops[0];
    assert_int_equal(w->kind, KQL_TOP_WHERE);
    assert_int_equal(w->pos.line, 3);
    assert_int_equal(w->pos.col, 3);
    const kql_expr *and = w->u.where.expr;
    assert_int_equal(and->kind, KQL_E_BINARY);
    assert_int_equal(and->u.binary.op, KQL_OP_AND);
    assert_int_equal(and->pos.line, 3);
    assert_int_equal(and->pos.col, 10);
    assert_int_equal(and->pos.end, strlen(text));
    const kql_expr *eq = and->u.binary.lhs;
    assert_int_equal(eq->u.binary.op, KQL_OP_EQ);
    assert_int_equal(eq->u.binary.rhs->pos.col, 24);
    assert_string_equal(eq->u.binary.rhs->u.lit.s.s, "0");
    const kql_expr *in = and->u.binary.rhs;
    assert_int_equal(in->kind, KQL_E_IN);
    assert_int_equal(in->u.in.nlist, 2);
    assert_int_equal(in->u.in.list[1]->u.lit.v.i, 2);
    assert_int_equal(in->u.in.list[1]->pos.col, 41);
    sp_arena_free(&arena);
}

static void test_join_kind_and_sort_defaults_are_typed(void **st)
{
    (void)st;
    const char *text = "T | join kind=leftanti (U) on a | join U on b | top 3 by x | sort by y asc";
    sp_arena arena = {0};
    kql_query *q;
    sp_diag err = {0};
    assert_int_equal(kql_parse(text, strlen(text), &arena, &q, &err), 0);
    kql_op **ops = q->stmts[0]->u.expr->u.pipe.ops;
    assert_int_equal(ops[0]->u.join.jkind, KQL_JOIN_LEFTANTI);
    assert_int_equal(ops[1]->u.join.jkind, KQL_JOIN_DEFAULT);
    assert_true(ops[2]->u.sort.keys[0].desc);
    assert_false(ops[2]->u.sort.keys[0].dir_given);
    assert_false(ops[3]->u.sort.keys[0].desc);
    assert_true(ops[3]->u.sort.keys[0].dir_given);
    assert_string_equal(kql_join_kind_name(ops[0]->u.join.jkind), "leftanti");
    sp_arena_free(&arena);
}

static void test_parser_reads_only_len_bytes(void **st)
{
    (void)st;
    /* The text is not NUL-terminated at len: "T | take 1" followed by junk. */
    const char text[] = "T | take 1 | whre";
    sp_arena arena = {0};
    kql_query *q;
    sp_diag err = {0};
    assert_int_equal(kql_parse(text, 10, &arena, &q, &err), 0);
    sp_buf b = {0};
    kql_ast_dump(&b, q);
    assert_string_equal(sp_buf_cstr(&b), "(pipe T (take 1))");
    sp_buf_free(&b);
    sp_arena_free(&arena);
}

static void test_bom_and_crlf_are_whitespace(void **st)
{
    (void)st;
    const char *text = "\xEF\xBB\xBFT\r\n| where a == 1\r\n| project b\r\n";
    sp_arena arena = {0};
    kql_query *q;
    sp_diag err = {0};
    assert_int_equal(kql_parse(text, strlen(text), &arena, &q, &err), 0);
    sp_buf b = {0};
    kql_ast_dump(&b, q);
    assert_string_equal(sp_buf_cstr(&b), "(pipe T (where (== a 1)) (project b))");
    sp_buf_free(&b);
    sp_arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence_follows_kusto_grammar),
        cmocka_unit_test(test_string_and_list_operators),
        cmocka_unit_test(test_expressions_names_members_calls),
        cmocka_unit_test(test_literals_are_decoded),
        cmocka_unit_test(test_statements_let_set_declare_functions),
        cmocka_unit_test(test_every_tabular_operator),
        cmocka_unit_test(test_syntax_errors_name_the_construct_with_line_and_column),
        cmocka_unit_test(test_error_prints_offending_line_and_caret),
        cmocka_unit_test(test_deep_nesting_is_an_error_not_a_crash),
        cmocka_unit_test(test_nodes_carry_source_positions),
        cmocka_unit_test(test_join_kind_and_sort_defaults_are_typed),
        cmocka_unit_test(test_parser_reads_only_len_bytes),
        cmocka_unit_test(test_bom_and_crlf_are_whitespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
