// compare.mjs — socpipe against DuckDB on the same NDJSON file (issue #3's peer benchmark).
//
// Two measurements, each with the two engines' rounds interleaved in one run, because the
// 2-core machines this runs on are noisy: only ratios taken side by side mean anything.
//
//   resident  socpipe: `socpipe bench query --serve` holds the whole file in its store and
//             runs a query when asked (time measured inside socpipe around kexec_run), on
//             up to --socpipe-threads threads (default 2, as DuckDB's; a summarize then
//             splits its scan with socpipe's helper thread).
//             DuckDB: a table of the columns the queries read, loaded once; a query is a
//             prepared statement (parsed and planned once, as socpipe's query is compiled
//             once before its rounds), timed around its run() (the result is
//             materialised inside DuckDB, not converted to JavaScript). That time still
//             holds @duckdb/node-api's cost of a call (a thread-pool hop and back), which
//             socpipe's in-process timer has no counterpart of: the report gives it, as
//             the median time of a prepared `select 1`. --duckdb-unprepared times
//             connection.run(sql) instead, parse and plan included, as runs before
//             2026-11-23 did (that gave DuckDB ~0.5 ms more per query).
//   raw       from the NDJSON file to the answer. socpipe: one `socpipe query --data FILE`
//             process (its query-driven load reads only the query's columns; 1 thread, and
//             `--threads 1` for the query too),
//             timed from spawn to exit. DuckDB (2 threads): a fresh in-memory database
//             each round, timed from the first statement to the materialised answer, in
//             two forms — CREATE TABLE from read_json + query, and the query straight
//             over read_json — and the faster median of the two is DuckDB's number.
//
// Before timing, every query's answer is compared between the engines (every group and
// its value); a difference fails the run. The SQL keeps KQL's meaning: strings are never
// null in KQL (a missing field is ""), so the SQL coalesces to ''; `contains` is
// case-insensitive (ILIKE); `in` is case-sensitive (IN); dcount is exact on both sides.
//
// Usage: node compare.mjs --data FILE --socpipe PATH [--rounds N] [--burst K]
//                         [--raw-rounds M] [--threads T] [--socpipe-threads S] [--json OUT]
//                         [--duckdb-unprepared]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import { QUERIES } from './queries.mjs';

const args = { rounds: 10, rawRounds: 3, threads: 2, socpipeThreads: 2, burst: 5, unprepared: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i], v = process.argv[i + 1];
  if (a === '--data') { args.data = v; i++; }
  else if (a === '--socpipe') { args.socpipe = v; i++; }
  else if (a === '--rounds') { args.rounds = +v; i++; }
  else if (a === '--raw-rounds') { args.rawRounds = +v; i++; }
  else if (a === '--threads') { args.threads = +v; i++; }
  else if (a === '--socpipe-threads') { args.socpipeThreads = Math.max(1, +v); i++; }
  else if (a === '--duckdb-unprepared') args.unprepared = true;
  else if (a === '--burst') { args.burst = Math.max(1, +v); i++; }
  else if (a === '--json') { args.json = v; i++; }
  else { console.error(`compare.mjs: unknown argument ${a}`); process.exit(2); }
}
if (!args.data || !args.socpipe) {
  console.error('usage: node compare.mjs --data FILE --socpipe PATH [--rounds N] [--burst K] [--raw-rounds M] [--threads T] [--socpipe-threads S] [--json OUT] [--duckdb-unprepared]');
  process.exit(2);
}

const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;
const readJson = (cols) =>
  `read_json(${sqlString(args.data)}, format = 'newline_delimited', columns = {${cols.map((c) => `${c}: 'VARCHAR'`).join(', ')}})`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const now = () => performance.now();

// ---- socpipe: the resident server ----

function startServer() {
  const child = spawn(args.socpipe, ['bench', 'query', '--data', args.data, '--serve', '--threads', String(args.socpipeThreads), ...QUERIES.map((q) => q.kql)],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  const queued = [];
  lines.on('line', (l) => (waiting.length ? waiting.shift()(l) : queued.push(l)));
  const nextLine = () => new Promise((res) => (queued.length ? res(queued.shift()) : waiting.push(res)));
  return {
    child,
    nextLine,
    async command(c) { child.stdin.write(c + '\n'); return nextLine(); },
    async result(i) {
      child.stdin.write(`result ${i}\n`);
      const rows = [];
      for (let l; (l = await nextLine()) !== '.';) rows.push(JSON.parse(l));
      return rows;
    },
    quit() { child.stdin.write('quit\n'); child.stdin.end(); },
  };
}

// ---- answers, as maps group -> value, and their comparison ----

function socpipeAnswer(q, rows) {
  const m = new Map();
  for (const r of rows) m.set(q.key ? r[q.key] : '', Number(r[q.val]));
  return m;
}

function duckAnswer(rows) {
  const m = new Map();
  for (const r of rows) m.set(r.k === undefined ? '' : String(r.k ?? ''), Number(r.v));
  return m;
}

function checkEqual(q, sp, dk, where) {
  const problems = [];
  if (sp.size !== dk.size) problems.push(`${sp.size} groups in socpipe, ${dk.size} in DuckDB`);
  for (const [k, v] of sp) if (dk.get(k) !== v) { problems.push(`group ${JSON.stringify(k)}: socpipe ${v}, DuckDB ${dk.get(k)}`); if (problems.length > 5) break; }
  if (problems.length) {
    console.error(`MISMATCH ${q.name} (${where}):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  let total = 0;
  for (const v of sp.values()) total += v;
  return { groups: sp.size, total };
}

async function duckRows(con, sql) {
  const reader = await con.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

// ---- resident ----

async function resident() {
  const server = startServer();
  const hello = JSON.parse(await server.nextLine());
  const inst = await DuckDBInstance.create(':memory:', { threads: String(args.threads) });
  const con = await inst.connect();
  const allCols = [...new Set(QUERIES.flatMap((q) => q.cols))];
  const t0 = now();
  await con.run(`create table T as select ${allCols.join(', ')} from ${readJson(allCols)}`);
  const duckLoad = (now() - t0) / 1e3;
  const version = (await duckRows(con, 'select version() as v'))[0].v;

  const checks = [];
  for (let i = 0; i < QUERIES.length; i++) {
    const q = QUERIES[i];
    checks.push(checkEqual(q, socpipeAnswer(q, await server.result(i + 1)), duckAnswer(await duckRows(con, q.sql)), 'resident'));
  }
  // Two schedules. interleaved: one run of each engine in turn, so each query starts with
  // the caches the other engine left (a busy machine). bursts: each engine runs a query
  // `burst` times in a row before the other takes over (a resident store that is queried
  // repeatedly); every run counts, the first one of a burst included.
  const cold = QUERIES.map(() => ({ socpipe: [], duckdb: [] }));
  const warm = QUERIES.map(() => ({ socpipe: [], duckdb: [] }));
  const runSocpipe = async (i, into) => {
    const rep = JSON.parse(await server.command(`run ${i + 1}`));
    if (rep.error) throw new Error(`socpipe: ${QUERIES[i].name}: ${rep.error}`);
    into[i].socpipe.push(rep.ms);
    (into[i].socpipe_cpu ??= []).push(rep.cpu_ms);
  };
  const prepared = [];
  for (const q of QUERIES) prepared.push(await con.prepare(q.sql));
  const runDuck = async (i, into) => {
    const a = now();
    if (args.unprepared) await con.run(QUERIES[i].sql);
    else await prepared[i].run();
    into[i].duckdb.push(now() - a);
  };
  // The binding's cost of one call, with nearly nothing to execute.
  const nop = await con.prepare('select 1');
  const floor = [];
  for (let k = 0; k < 100; k++) {
    const a = now();
    await nop.run();
    floor.push(now() - a);
  }
  for (let r = 0; r < args.rounds; r++) {
    for (let i = 0; i < QUERIES.length; i++) {
      if (r % 2) { await runDuck(i, cold); await runSocpipe(i, cold); } else { await runSocpipe(i, cold); await runDuck(i, cold); }
    }
  }
  for (let r = 0; r < Math.max(2, Math.ceil(args.rounds / args.burst)); r++) {
    for (let i = 0; i < QUERIES.length; i++) {
      const sp = async () => { for (let k = 0; k < args.burst; k++) await runSocpipe(i, warm); };
      const dk = async () => { for (let k = 0; k < args.burst; k++) await runDuck(i, warm); };
      if (r % 2) { await dk(); await sp(); } else { await sp(); await dk(); }
    }
  }
  server.quit();
  con.closeSync();
  inst.closeSync();
  return {
    duckdb_version: version, socpipe_load_cpu_s: hello.load_cpu_s, duckdb_load_s: duckLoad,
    duckdb_prepared: !args.unprepared, duckdb_call_floor_ms: median(floor),
    queries: QUERIES.map((q, i) => ({
      name: q.name, ...checks[i],
      socpipe_ms: median(cold[i].socpipe), duckdb_ms: median(cold[i].duckdb),
      ratio: median(cold[i].duckdb) / median(cold[i].socpipe),
      socpipe_cpu_ms: median(cold[i].socpipe_cpu),
      burst_socpipe_ms: median(warm[i].socpipe), burst_duckdb_ms: median(warm[i].duckdb),
      burst_socpipe_cpu_ms: median(warm[i].socpipe_cpu),
      burst_ratio: median(warm[i].duckdb) / median(warm[i].socpipe),
    })),
  };
}

// ---- raw NDJSON to answer ----

function socpipeRaw(q) {
  return new Promise((resolve, reject) => {
    const a = now();
    const child = spawn(args.socpipe, ['query', '--data', args.data, '--threads', '1', '--format', 'json', q.kql], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const ms = now() - a;
      if (code !== 0) return reject(new Error(`socpipe query exited ${code}`));
      resolve({ ms, rows: out.split('\n').filter((l) => l).map((l) => JSON.parse(l)) });
    });
  });
}

async function duckRaw(q, direct) {
  const inst = await DuckDBInstance.create(':memory:', { threads: String(args.threads) });
  const con = await inst.connect();
  const a = now();
  if (direct) {
    await con.run(q.sql.replace(' from T ', ` from ${readJson(q.cols)} `));
  } else {
    await con.run(`create table T as select ${q.cols.join(', ')} from ${readJson(q.cols)}`);
    await con.run(q.sql);
  }
  const ms = now() - a;
  con.closeSync();
  inst.closeSync();
  return { ms };
}

async function raw() {
  const out = [];
  for (const q of QUERIES) {
    const t = { socpipe: [], load_query: [], direct: [] };
    let check;
    for (let r = 0; r < args.rawRounds; r++) {
      const steps = [
        async () => {
          const s = await socpipeRaw(q);
          t.socpipe.push(s.ms);
          if (!check) {
            const inst = await DuckDBInstance.create(':memory:', { threads: String(args.threads) });
            const con = await inst.connect();
            check = checkEqual(q, socpipeAnswer(q, s.rows),
              duckAnswer(await duckRows(con, q.sql.replace(' from T ', ` from ${readJson(q.cols)} `))), 'raw');
            con.closeSync();
            inst.closeSync();
          }
        },
        async () => t.load_query.push((await duckRaw(q, false)).ms),
        async () => t.direct.push((await duckRaw(q, true)).ms),
      ];
      if (r % 2) steps.reverse();
      for (const s of steps) await s();
    }
    const sp = median(t.socpipe), lq = median(t.load_query), dr = median(t.direct);
    const duck = Math.min(lq, dr);
    out.push({
      name: q.name, ...check, socpipe_s: sp / 1e3, duckdb_load_query_s: lq / 1e3, duckdb_direct_s: dr / 1e3,
      duckdb_s: duck / 1e3, ratio: duck / sp,
    });
  }
  return out;
}

// ---- report ----

const started = new Date().toISOString();
const res = await resident();
const rawRes = args.rawRounds > 0 ? await raw() : [];
const report = {
  started, data: args.data, duckdb_threads: args.threads, socpipe_threads: args.socpipeThreads, rounds: args.rounds, burst: args.burst, raw_rounds: args.rawRounds,
  duckdb_version: res.duckdb_version,
  resident: {
    socpipe_load_cpu_s: res.socpipe_load_cpu_s, duckdb_load_s: res.duckdb_load_s, duckdb_prepared: res.duckdb_prepared,
    duckdb_call_floor_ms: res.duckdb_call_floor_ms, queries: res.queries,
  },
  raw: rawRes,
};

const f = (x, d = 2) => x.toFixed(d);
console.log(`DuckDB ${report.duckdb_version}, ${args.threads} threads; socpipe resident ${args.socpipeThreads} thread(s), raw 1 thread; ${args.data}`);
console.log(`answers checked equal (every group and value) before timing\n`);
console.log(`resident (target >= 10x): medians of ${args.rounds} interleaved runs, and of runs in bursts of ${args.burst}`);
console.log('  (wall times; socpipe\'s own CPU time per query in the JSON report: socpipe_cpu_ms, burst_socpipe_cpu_ms)');
console.log(`  DuckDB: ${res.duckdb_prepared ? 'prepared statements' : 'connection.run(sql), parse and plan included'}; the binding's cost of a call (a prepared \`select 1\`) is ${f(res.duckdb_call_floor_ms, 3)} ms and is part of DuckDB's times`);
console.log('  query                               groups     total | interleaved: socpipe ms  DuckDB ms   ratio | bursts: socpipe ms  DuckDB ms   ratio');
for (const q of res.queries)
  console.log(`  ${q.name.padEnd(34)} ${String(q.groups).padStart(7)} ${String(q.total).padStart(9)} | ${f(q.socpipe_ms, 3).padStart(22)} ${f(q.duckdb_ms, 3).padStart(10)} ${f(q.ratio, 1).padStart(6)}x | ${f(q.burst_socpipe_ms, 3).padStart(18)} ${f(q.burst_duckdb_ms, 3).padStart(10)} ${f(q.burst_ratio, 1).padStart(6)}x`);
if (rawRes.length) {
  console.log(`\nraw NDJSON to answer (median of ${args.rawRounds} interleaved rounds; target >= 3x)`);
  console.log('  query                              socpipe s  DuckDB load+query s  DuckDB direct s    ratio');
}
for (const q of rawRes)
  console.log(`  ${q.name.padEnd(34)} ${f(q.socpipe_s, 3).padStart(9)} ${f(q.duckdb_load_query_s, 3).padStart(20)} ${f(q.duckdb_direct_s, 3).padStart(16)} ${f(q.ratio, 1).padStart(7)}x`);
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
