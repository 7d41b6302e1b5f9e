// ab.mjs — two socpipe builds against DuckDB in one interleaved run.
//
// compare.mjs measures one build; two of its runs minutes apart differ by more than most
// changes to socpipe do on the noisy 2-core machines it runs on. This keeps two resident
// socpipe servers (A and B, each `socpipe bench query --serve` on the same file) and one
// DuckDB table, and runs every query in rounds of DuckDB, A, DuckDB, B (B first every
// other round), so each socpipe run starts with the caches a DuckDB run left, as in
// compare.mjs's interleaved schedule. Per query it prints both builds' median times, their
// ratio to the DuckDB run just before them (DuckDB's queries are prepared statements, as in
// compare.mjs), and the median of the per-round ratios B/A (below 1: B is faster).
// Answers are not compared here: compare.mjs does that.
//
// Usage: node ab.mjs --data FILE --a PATH --b PATH [--rounds N] [--socpipe-threads S]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import { QUERIES } from './queries.mjs';

const args = { rounds: 30, socpipeThreads: 2 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i], v = process.argv[i + 1];
  if (a === '--data') { args.data = v; i++; }
  else if (a === '--a') { args.a = v; i++; }
  else if (a === '--b') { args.b = v; i++; }
  else if (a === '--rounds') { args.rounds = +v; i++; }
  else if (a === '--socpipe-threads') { args.socpipeThreads = Math.max(1, +v); i++; }
  else { console.error(`ab.mjs: unknown argument ${a}`); process.exit(2); }
}
if (!args.data || !args.a || !args.b) {
  console.error('usage: node ab.mjs --data FILE --a PATH --b PATH [--rounds N] [--socpipe-threads S]');
  process.exit(2);
}

function server(bin) {
  const child = spawn(bin, ['bench', 'query', '--data', args.data, '--serve', '--threads', String(args.socpipeThreads), ...QUERIES.map((q) => q.kql)],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [], queued = [];
  lines.on('line', (l) => (waiting.length ? waiting.shift()(l) : queued.push(l)));
  const next = () => new Promise((res) => (queued.length ? res(queued.shift()) : waiting.push(res)));
  return {
    next,
    async run(i) {
      child.stdin.write(`run ${i + 1}\n`);
      const rep = JSON.parse(await next());
      if (rep.error) throw new Error(`${bin}: query ${i + 1}: ${rep.error}`);
      return rep.ms;
    },
    quit() { child.stdin.write('quit\n'); child.stdin.end(); },
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

const A = server(args.a), B = server(args.b);
await A.next(); // the servers' hello lines: both have loaded the file
await B.next();
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await inst.connect();
const cols = [...new Set(QUERIES.flatMap((q) => q.cols))];
const path = `'${args.data.replaceAll("'", "''")}'`;
await con.run(`create table T as select ${cols.join(', ')} from read_json(${path}, format = 'newline_delimited', columns = {${cols.map((c) => `${c}: 'VARCHAR'`).join(', ')}})`);
const prepared = [];
for (const q of QUERIES) prepared.push(await con.prepare(q.sql)); /* as compare.mjs times DuckDB */
const duck = async (i) => {
  const t = performance.now();
  await prepared[i].run();
  return performance.now() - t;
};
const res = QUERIES.map(() => ({ a: [], b: [], da: [], db: [] }));
for (let r = 0; r < args.rounds; r++) {
  for (let i = 0; i < QUERIES.length; i++) {
    const x = res[i];
    const runA = async () => { x.da.push(await duck(i)); x.a.push(await A.run(i)); };
    const runB = async () => { x.db.push(await duck(i)); x.b.push(await B.run(i)); };
    if (r % 2) { await runB(); await runA(); } else { await runA(); await runB(); }
  }
}
A.quit();
B.quit();
con.closeSync();
console.log(`A ${args.a}, B ${args.b}: ${args.rounds} rounds of DuckDB, A, DuckDB, B (2 threads each)`);
for (let i = 0; i < QUERIES.length; i++) {
  const x = res[i];
  const ba = x.b.map((v, k) => v / x.a[k]);
  console.log(`  ${QUERIES[i].name.padEnd(34)} A ${median(x.a).toFixed(3)} ms (${(median(x.da) / median(x.a)).toFixed(1)}x DuckDB)` +
    `  B ${median(x.b).toFixed(3)} ms (${(median(x.db) / median(x.b)).toFixed(1)}x)  B/A ${median(ba).toFixed(2)}`);
}
process.exit(0);
