/* test_builtins_dynamic.c — array, set and bag builtins, and the URL / path / encoding
 * builtins that build dynamic objects, called as kernels; documented examples pinned,
 * plus non-array/non-bag inputs (null), nulls inside arrays, and escapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#define KFH_SHORT_NAMES
#include "support/kfn_harness.h"

static kfh H;
KFH_SETUP

static void test_array_length_concat_slice(void **st)
{
    (void)st;
    EXPECT("3", array_length, LONG, Y("[1,2,3]"));
    EXPECT("0", array_length, LONG, Y("[]"));
    EXPECT("null", array_length, LONG, Y("\"abc\""));
    EXPECT("null", array_length, LONG, Y(""));
    EXPECT("[1,2,3,\"a\"]", array_concat, DYNAMIC, Y("[1,2]"), Y("[3]"), Y("[\"a\"]"));
    EXPECT("null", array_concat, DYNAMIC, Y("[1,2]"), Y("{\"a\":1}"));
    EXPECT("[2,3]", array_slice, DYNAMIC, Y("[1,2,3]"), L(1), L(2));
    EXPECT("[3,4,5]", array_slice, DYNAMIC, Y("[1,2,3,4,5]"), L(2), L(-1));
    EXPECT("[3,4]", array_slice, DYNAMIC, Y("[1,2,3,4,5]"), L(-3), L(-2));
    EXPECT("[]", array_slice, DYNAMIC, Y("[1,2,3]"), L(2), L(1));
    EXPECT("[1,2,3]", array_slice, DYNAMIC, Y("[1,2,3]"), L(-10), L(10));
    EXPECT("null", array_slice, DYNAMIC, Y("7"), L(0), L(1));
}

static void test_array_index_of_and_set_has_element_compare_by_value(void **st)
{
    (void)st;
    EXPECT("3", array_index_of, LONG, Y("[\"this\",\"is\",\"an\",\"example\"]"), S("example"));
    EXPECT("-1", array_index_of, LONG, Y("[\"this\",\"is\"]"), S("IS"));
    EXPECT("1", array_index_of, LONG, Y("[1,2.0,3]"), L(2));
    EXPECT("2", array_index_of, LONG, Y("[1,\"2\",2.5]"), R(2.5));
    EXPECT("0", array_index_of, LONG, Y("[true,false]"), BO(true));
    EXPECT("0", array_index_of, LONG, Y("[\"2024-01-01T00:00:00Z\"]"), DT("2024-01-01"));
    EXPECT("1", array_index_of, LONG, Y("[1,{\"a\":[1]}]"), Y("{\"a\":[1]}"));
    EXPECT("null", array_index_of, LONG, Y("{}"), L(1));
    EXPECT("true", set_has_element, BOOL, Y("[\"a\",\"b\"]"), S("b"));
    EXPECT("false", set_has_element, BOOL, Y("[\"a\",\"b\"]"), S("c"));
    EXPECT("null", set_has_element, BOOL, Y("1"), S("c"));
}

static void test_array_sort_orders_values_with_nulls_last_by_default(void **st)
{
    (void)st;
    EXPECT("[\"blue\",\"green\",\"yellow\",null,null]", array_sort_asc, DYNAMIC, Y("[null,\"blue\",\"yellow\",\"green\",null]"));
    EXPECT("[null,null,\"blue\",\"green\",\"yellow\"]", array_sort_asc, DYNAMIC, Y("[null,\"blue\",\"yellow\",\"green\",null]"), BO(false));
    EXPECT("[\"yellow\",\"green\",\"blue\",null,null]", array_sort_desc, DYNAMIC, Y("[null,\"blue\",\"yellow\",\"green\",null]"));
    EXPECT("[1.5,2,10]", array_sort_asc, DYNAMIC, Y("[10,1.5,2]"));
    EXPECT("[10,2,1.5]", array_sort_desc, DYNAMIC, Y("[10,1.5,2]"));
    EXPECT("[false,true,1,\"a\"]", array_sort_asc, DYNAMIC, Y("[\"a\",1,true,false]"));
    EXPECT("[]", array_sort_asc, DYNAMIC, Y("[]"));
    EXPECT("null", array_sort_asc, DYNAMIC, Y("\"x\""));
}

static void test_set_operations_are_distinct_in_first_seen_order(void **st)
{
    (void)st;
    EXPECT("[3]", set_difference, DYNAMIC, Y("[1,2,3]"), Y("[1,2]"));
    EXPECT("[]", set_difference, DYNAMIC, Y("[1,2,3]"), Y("[1,2,3]"));
    EXPECT("[4,5]", set_difference, DYNAMIC, Y("[4,1,4,2,5,3]"), Y("[1,2]"), Y("[3,7]"));
    EXPECT("[1,2,3,4]", set_union, DYNAMIC, Y("[1,2,3]"), Y("[2,3,4]"));
    EXPECT("[1,\"1\",2]", set_union, DYNAMIC, Y("[1,\"1\",1.0]"), Y("[2,1]"));
    EXPECT("[2,3]", set_intersect, DYNAMIC, Y("[1,2,3,3]"), Y("[2,3,4]"));
    EXPECT("[3]", set_intersect, DYNAMIC, Y("[1,2,3]"), Y("[2,3,4]"), Y("[3,5]"));
    EXPECT("[{\"a\":1}]", set_intersect, DYNAMIC, Y("[{\"a\":1},{\"b\":2}]"), Y("[{\"a\":1}]"));
    EXPECT("null", set_union, DYNAMIC, Y("[1]"), Y("5"));
}

static void test_pack_and_pack_array_build_values(void **st)
{
    (void)st;
    EXPECT("{\"Level\":\"Information\",\"ProcessID\":1234,\"Data\":{\"url\":\"www.bing.com\"}}", pack, DYNAMIC,
           S("Level"), S("Information"), S("ProcessID"), L(1234), S("Data"), Y("{\"url\":\"www.bing.com\"}"));
    EXPECT("{\"a\":2,\"b\":null}", pack, DYNAMIC, S("a"), L(1), S("b"), NUL(LONG), S("a"), L(2));
    EXPECT("{\"t\":\"2024-01-01T00:00:00.0000000Z\",\"q\\\"\":true}", pack, DYNAMIC, S("t"), DT("2024-01-01"), S("q\""), BO(true));
    EXPECT("{}", pack, DYNAMIC, S("a"));
    EXPECT("[1,\"a\",null,1.5,[1]]", pack_array, DYNAMIC, L(1), S("a"), NUL(LONG), R(1.5), Y("[1]"));
    assert_string_equal(kfh_call(&H, KB_pack_array, SP_TYPE_DYNAMIC, 0, NULL), "[]");
}

static void test_bag_functions(void **st)
{
    (void)st;
    EXPECT("[\"a\",\"c\"]", bag_keys, DYNAMIC, Y("{\"a\":\"b\",\"c\":\"d\"}"));
    EXPECT("null", bag_keys, DYNAMIC, Y("[1]"));
    EXPECT("{\"A1\":12,\"B1\":2,\"C1\":3,\"A2\":81,\"B2\":82}", bag_merge, DYNAMIC,
           Y("{\"A1\":12,\"B1\":2,\"C1\":3}"), Y("{\"A2\":81,\"B2\":82,\"A1\":1}"));
    EXPECT("{\"a\":1}", bag_merge, DYNAMIC, Y("{\"a\":1}"), Y(""), Y("[2]"));
    EXPECT("{\"key1\":123,\"key3\":{\"prop2\":\"value2\"}}", bag_remove_keys, DYNAMIC,
           Y("{\"key1\":123,\"key2\":\"value\",\"key3\":{\"prop1\":\"value1\",\"prop2\":\"value2\"}}"),
           Y("[\"key2\",\"$.key3.prop1\"]"));
    EXPECT("{\"a\":1}", bag_remove_keys, DYNAMIC, Y("{\"a\":1}"), Y("[\"zz\",\"$.a.b\"]"));
    EXPECT("null", bag_remove_keys, DYNAMIC, Y("[1]"), Y("[\"a\"]"));
    EXPECT("true", bag_has_key, BOOL, Y("{\"key1\":1,\"key2\":2}"), S("key2"));
    EXPECT("true", bag_has_key, BOOL, Y("{\"key1\":1,\"key2\":2}"), S("$.key1"));
    EXPECT("false", bag_has_key, BOOL, Y("{\"key1\":1,\"key2\":2}"), S("$.key3"));
    EXPECT("true", bag_has_key, BOOL, Y("{\"key1\":{\"key2\":[0,1]}}"), S("$.key1.key2[1]"));
    EXPECT("true", bag_has_key, BOOL, Y("{\"a b\":null}"), S("$['a b']"));
    EXPECT("false", bag_has_key, BOOL, Y("[1]"), S("a"));
}

static void test_zip_pads_with_null(void **st)
{
    (void)st;
    EXPECT("[[1,2],[3,4],[5,6]]", zip, DYNAMIC, Y("[1,3,5]"), Y("[2,4,6]"));
    EXPECT("[[1,2],[3,4],[5,null]]", zip, DYNAMIC, Y("[1,3,5]"), Y("[2,4]"));
    EXPECT("[[\"a\",1,true]]", zip, DYNAMIC, Y("[\"a\"]"), Y("[1]"), Y("[true]"));
    EXPECT("[]", zip, DYNAMIC, Y("[]"), Y("[]"));
    EXPECT("null", zip, DYNAMIC, Y("[1]"), Y("2"));
}

static void test_parse_url_returns_every_part(void **st)
{
    (void)st;
    EXPECT("{\"Scheme\":\"scheme\",\"Host\":\"host\",\"Port\":\"1234\",\"Path\":\"/this/is/a/path\",\"Username\":\"username\","
           "\"Password\":\"password\",\"Query Parameters\":{\"k1\":\"v1\",\"k2\":\"v2\"},\"Fragment\":\"fragment\"}",
           parse_url, DYNAMIC, S("scheme://username:password@host:1234/this/is/a/path?k1=v1&k2=v2#fragment"));
    EXPECT("{\"Scheme\":\"https\",\"Host\":\"bing.com\",\"Port\":\"\",\"Path\":\"\",\"Username\":\"\",\"Password\":\"\","
           "\"Query Parameters\":{},\"Fragment\":\"\"}",
           parse_url, DYNAMIC, S("https://bing.com"));
    EXPECT("{\"Scheme\":\"http\",\"Host\":\"[::1]\",\"Port\":\"8080\",\"Path\":\"/a\",\"Username\":\"u\",\"Password\":\"\","
           "\"Query Parameters\":{\"q\":\"a b&c\",\"flag\":\"\"},\"Fragment\":\"\"}",
           parse_url, DYNAMIC, S("http://u@[::1]:8080/a?q=a+b%26c&flag"));
    EXPECT("{\"Scheme\":\"\",\"Host\":\"\",\"Port\":\"\",\"Path\":\"\",\"Username\":\"\",\"Password\":\"\","
           "\"Query Parameters\":{},\"Fragment\":\"\"}",
           parse_url, DYNAMIC, S("bing.com/path"));
}

static void test_parse_urlquery_decodes_parameters(void **st)
{
    (void)st;
    EXPECT("{\"Query Parameters\":{\"k1\":\"v1\",\"k2\":\"v2\",\"k3\":\"v3\"}}", parse_urlquery, DYNAMIC, S("k1=v1&k2=v2&k3=v3"));
    EXPECT("{\"Query Parameters\":{\"a\":\"1 2\",\"b/c\":\"\"}}", parse_urlquery, DYNAMIC, S("?a=1%202&b%2Fc=&a=3"));
    EXPECT("{\"Query Parameters\":{}}", parse_urlquery, DYNAMIC, S(""));
}

static void test_url_and_base64_encodings(void **st)
{
    (void)st;
    EXPECT("\"https://www.bing.com/\"", url_decode, STRING, S("https%3a%2f%2fwww.bing.com%2f"));
    EXPECT("\"a b%zz%\"", url_decode, STRING, S("a+b%zz%"));
    EXPECT("\"https%3a%2f%2fwww.bing.com%2f\"", url_encode, STRING, S("https://www.bing.com/"));
    EXPECT("\"a+b%26c!*()%7e\"", url_encode, STRING, S("a b&c!*()~"));
    EXPECT("\"https%3A%2F%2Fwww.bing.com%2Fhello%20word%2F\"", url_encode_component, STRING, S("https://www.bing.com/hello word/"));
    EXPECT("\"%C3%A9\"", url_encode_component, STRING, S("é"));
    EXPECT("\"S3VzdG8=\"", base64_encode_tostring, STRING, S("Kusto"));
    EXPECT("\"S3VzdG8x\"", base64_encode_tostring, STRING, S("Kusto1"));
    EXPECT("\"S3VzdG8xMg==\"", base64_encode_tostring, STRING, S("Kusto12"));
    EXPECT("\"Kusto\"", base64_decode_tostring, STRING, S("S3VzdG8="));
    EXPECT("\"Kusto12\"", base64_decode_tostring, STRING, S("S3VzdG8xMg=="));
    EXPECT("\"\"", base64_decode_tostring, STRING, S("S3VzdG8"));   /* length not a multiple of 4 */
    EXPECT("\"\"", base64_decode_tostring, STRING, S("S3V*dG8="));  /* bad character */
    EXPECT("\"\"", base64_decode_tostring, STRING, S("/w=="));      /* 0xff is not UTF-8 */
}

static void test_parse_path_splits_windows_unc_and_unix_paths(void **st)
{
    (void)st;
    EXPECT("{\"Scheme\":\"\",\"RootPath\":\"C:\",\"DirectoryPath\":\"C:\\\\temp\",\"DirectoryName\":\"temp\",\"Filename\":\"file.txt\","
           "\"Extension\":\"txt\",\"AlternateDataStreamName\":\"\"}",
           parse_path, DYNAMIC, S("C:\\temp\\file.txt"));
    EXPECT("{\"Scheme\":\"\",\"RootPath\":\"\",\"DirectoryPath\":\"temp\",\"DirectoryName\":\"temp\",\"Filename\":\"file.txt\","
           "\"Extension\":\"txt\",\"AlternateDataStreamName\":\"\"}",
           parse_path, DYNAMIC, S("temp\\file.txt"));
    EXPECT("{\"Scheme\":\"file\",\"RootPath\":\"C:\",\"DirectoryPath\":\"C:/temp\",\"DirectoryName\":\"temp\",\"Filename\":\"file.txt\","
           "\"Extension\":\"txt\",\"AlternateDataStreamName\":\"some.exe\"}",
           parse_path, DYNAMIC, S("file://C:/temp/file.txt:some.exe"));
    EXPECT("{\"Scheme\":\"\",\"RootPath\":\"\",\"DirectoryPath\":\"\\\\\\\\shared\\\\users\\\\temp\",\"DirectoryName\":\"temp\","
           "\"Filename\":\"file.txt.gz\",\"Extension\":\"gz\",\"AlternateDataStreamName\":\"\"}",
           parse_path, DYNAMIC, S("\\\\shared\\users\\temp\\file.txt.gz"));
    EXPECT("{\"Scheme\":\"\",\"RootPath\":\"\",\"DirectoryPath\":\"/usr/lib/temp\",\"DirectoryName\":\"temp\",\"Filename\":\"file.txt\","
           "\"Extension\":\"txt\",\"AlternateDataStreamName\":\"\"}",
           parse_path, DYNAMIC, S("/usr/lib/temp/file.txt"));
    EXPECT("{\"Scheme\":\"\",\"RootPath\":\"\",\"DirectoryPath\":\"\",\"DirectoryName\":\"\",\"Filename\":\"README\","
           "\"Extension\":\"\",\"AlternateDataStreamName\":\"\"}",
           parse_path, DYNAMIC, S("README"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_array_length_concat_slice),
        T(test_array_index_of_and_set_has_element_compare_by_value),
        T(test_array_sort_orders_values_with_nulls_last_by_default),
        T(test_set_operations_are_distinct_in_first_seen_order),
        T(test_pack_and_pack_array_build_values),
        T(test_bag_functions),
        T(test_zip_pads_with_null),
        T(test_parse_url_returns_every_part),
        T(test_parse_urlquery_decodes_parameters),
        T(test_url_and_base64_encodings),
        T(test_parse_path_splits_windows_unc_and_unix_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
