// queries.mjs — the three detection queries of issue #3, in KQL for socpipe and in SQL for
// DuckDB, shared by compare.mjs and ab.mjs. `key`/`val` name socpipe's output columns; the
// SQL returns the same answer as columns k (group) and v (value).
export const QUERIES = [
  {
    name: 'Q1 failures by user',
    kql: 'SigninLogs | where ResultType != "0" | summarize count() by UserPrincipalName',
    sql: "select coalesce(UserPrincipalName, '') as k, count(*) as v from T where coalesce(ResultType, '') <> '0' group by 1",
    cols: ['ResultType', 'UserPrincipalName'],
    key: 'UserPrincipalName', val: 'count_',
  },
  {
    name: 'Q2 error codes and app',
    kql: 'SigninLogs | where ResultType in ("50126","50053","50055") and AppDisplayName contains "portal" | count',
    sql: "select count(*) as v from T where ResultType in ('50126', '50053', '50055') and coalesce(AppDisplayName, '') ilike '%portal%'",
    cols: ['ResultType', 'AppDisplayName'],
    key: null, val: 'Count',
  },
  {
    name: 'Q3 distinct users per failing IP',
    kql: 'SigninLogs | where ResultType != "0" | summarize dcount(UserPrincipalName) by IPAddress',
    sql: "select coalesce(IPAddress, '') as k, count(distinct coalesce(UserPrincipalName, '')) as v from T where coalesce(ResultType, '') <> '0' group by 1",
    cols: ['ResultType', 'UserPrincipalName', 'IPAddress'],
    key: 'IPAddress', val: 'dcount_UserPrincipalName',
  },
];

