/* test_builtins_time.c — datetime/timespan builtins called as kernels; the examples of
 * the Kusto documentation for datetime_diff, datetime_add, datetime_part, startof/endof,
 * bin_at, week_of_year, format_datetime and format_timespan are pinned as expected
 * outputs, with range and null edge cases. */
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

static void test_datetime_diff_counts_boundaries_per_period(void **st)
{
    (void)st;
    EXPECT("17", datetime_diff, LONG, S("year"), DT("2017-01-01"), DT("2000-12-31"));
    EXPECT("2", datetime_diff, LONG, S("quarter"), DT("2017-07-01"), DT("2017-03-30"));
    EXPECT("13", datetime_diff, LONG, S("month"), DT("2017-01-01"), DT("2015-12-30"));
    EXPECT("5", datetime_diff, LONG, S("week"), DT("2017-10-29 00:00"), DT("2017-09-30 23:59"));
    EXPECT("29", datetime_diff, LONG, S("day"), DT("2017-10-29 00:00"), DT("2017-09-30 23:59"));
    EXPECT("2", datetime_diff, LONG, S("hour"), DT("2017-10-31 01:00"), DT("2017-10-30 23:59"));
    EXPECT("5", datetime_diff, LONG, S("minute"), DT("2017-10-30 23:05:01"), DT("2017-10-30 23:00:59"));
    EXPECT("10", datetime_diff, LONG, S("second"), DT("2017-10-30 23:00:10.100"), DT("2017-10-30 23:00:00.900"));
    EXPECT("100", datetime_diff, LONG, S("millisecond"), DT("2017-10-30 23:00:00.200100"), DT("2017-10-30 23:00:00.100900"));
    EXPECT("100", datetime_diff, LONG, S("microsecond"), DT("2017-10-30 23:00:00.1009001"), DT("2017-10-30 23:00:00.1008009"));
    EXPECT("100", datetime_diff, LONG, S("nanosecond"), DT("2017-10-30 23:00:00.0000000"), DT("2017-10-30 22:59:59.9999999"));
    EXPECT("-17", datetime_diff, LONG, S("Year"), DT("2000-12-31"), DT("2017-01-01"));
    EXPECT("1", datetime_diff, LONG, S("DAY"), DT("2024-01-01 00:00"), DT("2023-12-31 23:59:59.9999999"));
    EXPECT("null", datetime_diff, LONG, S("fortnight"), DT("2017-01-01"), DT("2000-12-31"));
    EXPECT("null", datetime_diff, LONG, S("nanosecond"), DT("9999-01-01"), DT("0001-01-01")); /* overflows a long */
    EXPECT("null", datetime_diff, LONG, S("day"), NUL(DATETIME), DT("2000-12-31"));
}

static void test_datetime_add_clamps_month_ends(void **st)
{
    (void)st;
    const char *dt = "2017-01-30 01:02:03.4567890";
    EXPECT("\"2018-01-30T01:02:03.4567890Z\"", datetime_add, DATETIME, S("year"), L(1), DT(dt));
    EXPECT("\"2017-04-30T01:02:03.4567890Z\"", datetime_add, DATETIME, S("quarter"), L(1), DT(dt));
    EXPECT("\"2017-02-28T01:02:03.4567890Z\"", datetime_add, DATETIME, S("month"), L(1), DT(dt));
    EXPECT("\"2017-02-06T01:02:03.4567890Z\"", datetime_add, DATETIME, S("week"), L(1), DT(dt));
    EXPECT("\"2017-01-31T01:02:03.4567890Z\"", datetime_add, DATETIME, S("day"), L(1), DT(dt));
    EXPECT("\"2017-01-30T02:02:03.4567890Z\"", datetime_add, DATETIME, S("hour"), L(1), DT(dt));
    EXPECT("\"2017-01-30T01:03:03.4567890Z\"", datetime_add, DATETIME, S("minute"), L(1), DT(dt));
    EXPECT("\"2017-01-30T01:02:04.4567890Z\"", datetime_add, DATETIME, S("second"), L(1), DT(dt));
    EXPECT("\"2017-01-30T01:02:03.4577890Z\"", datetime_add, DATETIME, S("millisecond"), L(1), DT(dt));
    EXPECT("\"2017-01-30T01:02:03.4567900Z\"", datetime_add, DATETIME, S("microsecond"), L(1), DT(dt));
    EXPECT("\"2017-01-30T01:02:03.4567891Z\"", datetime_add, DATETIME, S("nanosecond"), L(100), DT(dt));
    EXPECT("\"2016-02-29T00:00:00.0000000Z\"", datetime_add, DATETIME, S("month"), L(-11), DT("2017-01-31"));
    EXPECT("\"2015-12-31T00:00:00.0000000Z\"", datetime_add, DATETIME, S("month"), L(-1), DT("2016-01-31"));
    EXPECT("null", datetime_add, DATETIME, S("year"), L(9000), DT(dt));
    EXPECT("null", datetime_add, DATETIME, S("day"), L(INT64_MAX / 10), DT(dt));
    EXPECT("null", datetime_add, DATETIME, S("eon"), L(1), DT(dt));
}

static void test_datetime_part_extracts_each_part(void **st)
{
    (void)st;
    const char *dt = "2017-10-30 01:02:03.7654321";
    EXPECT("2017", datetime_part, INT, S("Year"), DT(dt));
    EXPECT("4", datetime_part, INT, S("Quarter"), DT(dt));
    EXPECT("10", datetime_part, INT, S("Month"), DT(dt));
    EXPECT("44", datetime_part, INT, S("week_of_year"), DT(dt));
    EXPECT("30", datetime_part, INT, S("Day"), DT(dt));
    EXPECT("303", datetime_part, INT, S("DayOfYear"), DT(dt));
    EXPECT("1", datetime_part, INT, S("Hour"), DT(dt));
    EXPECT("2", datetime_part, INT, S("Minute"), DT(dt));
    EXPECT("3", datetime_part, INT, S("Second"), DT(dt));
    EXPECT("765", datetime_part, INT, S("Millisecond"), DT(dt));
    EXPECT("765432", datetime_part, INT, S("Microsecond"), DT(dt));
    EXPECT("765432100", datetime_part, INT, S("Nanosecond"), DT(dt));
    EXPECT("null", datetime_part, INT, S("era"), DT(dt));
}

static void test_getters_and_dayofweek_from_sunday(void **st)
{
    (void)st;
    EXPECT("\"00:00:00\"", dayofweek, TIMESPAN, DT("1947-11-30 10:00:05"));
    EXPECT("\"1.00:00:00\"", dayofweek, TIMESPAN, DT("1970-05-11"));
    EXPECT("\"6.00:00:00\"", dayofweek, TIMESPAN, DT("2024-02-03"));
    EXPECT("14", dayofmonth, INT, DT("2015-12-14"));
    EXPECT("348", dayofyear, INT, DT("2015-12-14"));
    EXPECT("366", dayofyear, INT, DT("2016-12-31"));
    EXPECT("18", hourofday, INT, DT("2015-12-14 18:54:00"));
    EXPECT("2015", getyear, INT, DT("2015-10-12"));
    EXPECT("10", getmonth, INT, DT("2015-10-12"));
    EXPECT("10", monthofyear, INT, DT("2015-10-12"));
    EXPECT("null", getyear, INT, NUL(DATETIME));
    EXPECT("null", dayofweek, TIMESPAN, NUL(DATETIME));
}

static void test_week_of_year_is_iso_8601(void **st)
{
    (void)st;
    EXPECT("53", week_of_year, INT, DT("2020-12-31"));
    EXPECT("25", week_of_year, INT, DT("2020-06-15"));
    EXPECT("1", week_of_year, INT, DT("1970-01-01"));
    EXPECT("52", week_of_year, INT, DT("2000-01-01"));
    EXPECT("53", week_of_year, INT, DT("2021-01-03"));
    EXPECT("1", week_of_year, INT, DT("2019-12-30"));
    EXPECT("53", week_of_year, INT, DT("2015-12-31"));
    EXPECT("1", week_of_year, INT, DT("2024-12-30"));
    EXPECT("52", week_of_year, INT, DT("2023-01-01"));
}

static void test_startof_and_endof_with_offsets(void **st)
{
    (void)st;
    const char *dt = "2017-01-01 10:10:17";
    EXPECT("\"2017-01-01T00:00:00.0000000Z\"", startofday, DATETIME, DT(dt));
    EXPECT("\"2016-12-31T00:00:00.0000000Z\"", startofday, DATETIME, DT(dt), L(-1));
    EXPECT("\"2017-01-01T00:00:00.0000000Z\"", startofweek, DATETIME, DT(dt));
    EXPECT("\"2016-12-25T00:00:00.0000000Z\"", startofweek, DATETIME, DT(dt), L(-1));
    EXPECT("\"2017-01-08T00:00:00.0000000Z\"", startofweek, DATETIME, DT(dt), L(1));
    EXPECT("\"2024-01-28T00:00:00.0000000Z\"", startofweek, DATETIME, DT("2024-02-03 23:00"));
    EXPECT("\"2016-12-01T00:00:00.0000000Z\"", startofmonth, DATETIME, DT(dt), L(-1));
    EXPECT("\"2017-02-01T00:00:00.0000000Z\"", startofmonth, DATETIME, DT(dt), L(1));
    EXPECT("\"2018-03-01T00:00:00.0000000Z\"", startofmonth, DATETIME, DT(dt), L(14));
    EXPECT("\"2016-01-01T00:00:00.0000000Z\"", startofyear, DATETIME, DT(dt), L(-1));
    EXPECT("\"2016-12-31T23:59:59.9999999Z\"", endofday, DATETIME, DT(dt), L(-1));
    EXPECT("\"2017-01-02T23:59:59.9999999Z\"", endofday, DATETIME, DT(dt), L(1));
    EXPECT("\"2016-12-31T23:59:59.9999999Z\"", endofweek, DATETIME, DT(dt), L(-1));
    EXPECT("\"2017-01-07T23:59:59.9999999Z\"", endofweek, DATETIME, DT(dt));
    EXPECT("\"2017-01-14T23:59:59.9999999Z\"", endofweek, DATETIME, DT(dt), L(1));
    EXPECT("\"2016-12-31T23:59:59.9999999Z\"", endofmonth, DATETIME, DT(dt), L(-1));
    EXPECT("\"2017-02-28T23:59:59.9999999Z\"", endofmonth, DATETIME, DT(dt), L(1));
    EXPECT("\"2017-12-31T23:59:59.9999999Z\"", endofyear, DATETIME, DT(dt));
    EXPECT("\"9999-12-31T23:59:59.9999999Z\"", endofyear, DATETIME, DT("9999-06-01"));
    EXPECT("null", startofyear, DATETIME, DT(dt), L(-5000));
    EXPECT("null", startofday, DATETIME, DT("0001-01-01"), L(-1));
    EXPECT("null", startofmonth, DATETIME, NUL(DATETIME));
}

static void test_bin_at_aligns_to_the_fixed_point(void **st)
{
    (void)st;
    EXPECT("4.5", bin_at, REAL, R(6.5), R(2.5), R(7));
    EXPECT("\"-12:00:00\"", bin_at, TIMESPAN, TS("01:00:00"), TS("1.00:00:00"), TS("12:00:00"));
    EXPECT("\"2017-05-14T12:00:00.0000000Z\"", bin_at, DATETIME, DT("2017-05-15 10:20:00.0"), TS("1.00:00:00"),
           DT("1970-01-01 12:00:00.0"));
    EXPECT("\"2017-05-15T10:20:00.0000000Z\"", bin_at, DATETIME, DT("2017-05-17 10:20:00.0"), TS("7.00:00:00"),
           DT("2017-05-15 10:20:00.0"));
    EXPECT("7", bin_at, LONG, L(9), L(5), L(2));
    EXPECT("-3", bin_at, LONG, L(-1), L(5), L(2));
    EXPECT("null", bin_at, LONG, L(9), L(0), L(2));
    EXPECT("null", bin_at, LONG, NUL(LONG), L(5), L(2));
}

static void test_format_datetime_custom_specifiers(void **st)
{
    (void)st;
    const char *dt = "2017-01-29 09:00:05";
    EXPECT("\"17-01-29 [09:00:05]\"", format_datetime, STRING, DT(dt), S("yy-MM-dd [HH:mm:ss]"));
    EXPECT("\"2017-1-29 [9:00:05]\"", format_datetime, STRING, DT(dt), S("yyyy-M-dd [H:mm:ss]"));
    EXPECT("\"17-01-29 [09:00:05 AM]\"", format_datetime, STRING, DT(dt), S("yy-MM-dd [hh:mm:ss tt]"));
    EXPECT("\"15-12-14 2:3:4.1234500\"", format_datetime, STRING, DT("2015-12-14 02:03:04.12345"), S("y-M-d h:m:s.fffffff"));
    EXPECT("\"09:00:05\"", format_datetime, STRING, DT(dt), S("HH:mm:ss.FFF"));
    EXPECT("\"09:00:05.12\"", format_datetime, STRING, DT("2017-01-29 09:00:05.12"), S("HH:mm:ss.FFF"));
    EXPECT("\"617\"", format_datetime, STRING, DT("2009-06-15 13:45:30.617"), S("fff"));
    EXPECT("\"000\"", format_datetime, STRING, DT("2009-06-15 13:45:30.0005"), S("fff"));
    EXPECT("\"1:45 PM\"", format_datetime, STRING, DT("2009-06-15 13:45:30"), S("h:mm tt"));
    EXPECT("\"12 AM\"", format_datetime, STRING, DT("2009-06-15 00:45:30"), S("hh tt"));
    EXPECT("\"2017-01-29T09:00:05Z\"", format_datetime, STRING, DT(dt), S("yyyy-MM-ddTHH:mm:ss\\Z"));
    EXPECT("\"Sun 29 Jan 2017\"", format_datetime, STRING, DT(dt), S("ddd d MMM yyyy"));
    EXPECT("\"\"", format_datetime, STRING, NUL(DATETIME), S("yyyy"));
}

static void test_format_timespan_custom_specifiers(void **st)
{
    (void)st;
    const char *t = "29.09:00:05.12345";
    EXPECT("\"29.09:00:05:12\"", format_timespan, STRING, TS(t), S("dd.hh:mm:ss:FF"));
    EXPECT("\"029.9:00:05 [1234500]\"", format_timespan, STRING, TS(t), S("ddd.h:mm:ss [fffffff]"));
    EXPECT("\"01:30:00\"", format_timespan, STRING, TS("01:30:00"), S("hh:mm:ss.FFF"));
    EXPECT("\"00:10\"", format_timespan, STRING, TS("-00:10:00"), S("hh:mm"));
    EXPECT("\"\"", format_timespan, STRING, NUL(TIMESPAN), S("hh"));
}

static void test_unixtime_and_make_constructors(void **st)
{
    (void)st;
    EXPECT("\"2019-01-01T00:00:00.0000000Z\"", unixtime_seconds_todatetime, DATETIME, L(1546300800));
    EXPECT("\"2019-01-01T00:00:00.1230000Z\"", unixtime_seconds_todatetime, DATETIME, R(1546300800.123));
    EXPECT("\"1969-12-31T23:59:59.0000000Z\"", unixtime_seconds_todatetime, DATETIME, L(-1));
    EXPECT("\"2019-01-01T00:00:00.0000000Z\"", unixtime_milliseconds_todatetime, DATETIME, L(1546300800000));
    EXPECT("null", unixtime_seconds_todatetime, DATETIME, L(INT64_MAX));
    EXPECT("null", unixtime_seconds_todatetime, DATETIME, NUL(LONG));
    EXPECT("\"2017-10-01T00:00:00.0000000Z\"", make_datetime, DATETIME, L(2017), L(10), L(1));
    EXPECT("\"2017-10-01T12:10:00.0000000Z\"", make_datetime, DATETIME, L(2017), L(10), L(1), L(12), L(10));
    EXPECT("\"2017-10-01T12:11:00.1234567Z\"", make_datetime, DATETIME, L(2017), L(10), L(1), L(12), L(11), R(0.1234567));
    EXPECT("null", make_datetime, DATETIME, L(2017), L(2), L(30));
    EXPECT("null", make_datetime, DATETIME, L(2017), L(1), L(1), L(24), L(0));
    EXPECT("\"1.12:30:55.2000000\"", make_timespan, TIMESPAN, L(1), L(12), L(30), R(55.2));
    EXPECT("\"12:30:00\"", make_timespan, TIMESPAN, L(12), L(30));
    EXPECT("\"12:30:55\"", make_timespan, TIMESPAN, L(12), L(30), L(55));
    EXPECT("null", make_timespan, TIMESPAN, L(12), L(60));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_datetime_diff_counts_boundaries_per_period),
        T(test_datetime_add_clamps_month_ends),
        T(test_datetime_part_extracts_each_part),
        T(test_getters_and_dayofweek_from_sunday),
        T(test_week_of_year_is_iso_8601),
        T(test_startof_and_endof_with_offsets),
        T(test_bin_at_aligns_to_the_fixed_point),
        T(test_format_datetime_custom_specifiers),
        T(test_format_timespan_custom_specifiers),
        T(test_unixtime_and_make_constructors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
