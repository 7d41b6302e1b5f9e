#!/usr/bin/env node
// check-syntax.js — validates the KQL conformance suite (tests/kql/*.test) with
// Microsoft's own Kusto parser and binder (@kusto/language-service-next, the
// Kusto.Language library compiled to JavaScript). Manual tool, not part of
// `make test`; install the package outside the repo first:
//   mkdir -p /tmp/kls && cd /tmp/kls && npm init -y && npm i @kusto/language-service-next
//   KUSTO_LS=/tmp/kls/node_modules/@kusto/language-service-next node tests/kql/tools/check-syntax.js
// For every case it reports:
//   - syntax errors (KustoCode.Parse) in a non-error case: always a failure;
//   - binder errors (KustoCode.ParseAndAnalyze) in a non-error case: a failure;
//   - a `schema:` line that differs from the result schema the binder computes
//     (names and Kusto types, in order): a failure;
//   - expected rows whose keys (column order) differ from the binder's result
//     columns, when the binder knows the schema (not an open schema such as
//     bag_unpack's): a failure;
//   - `==> error` cases the service accepts without any error: listed as
//     "runtime-only" (allowed: some errors Kusto raises only when running).
// Exit 1 if any failure. Flags: -v prints every case's computed schema.
'use strict';
const fs = require('fs');
const path = require('path');

const lsDir = process.env.KUSTO_LS || '@kusto/language-service-next';
try {
  require(path.join(lsDir, 'bridge.js'));
  require(path.join(lsDir, 'Kusto.Language.Bridge.js'));
} catch (e) {
  try {
    require(lsDir + '/bridge.js');
    require(lsDir + '/Kusto.Language.Bridge.js');
  } catch (e2) {
    console.error('cannot load the Kusto language service from ' + lsDir +
                  ' (set KUSTO_LS to the package directory)');
    process.exit(2);
  }
}
const KustoCode = global.Kusto.Language.KustoCode;

function splitCases(text) {
  const out = [];
  let block = [], start = 0;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') {
      if (block.length) out.push({ start, lines: block });
      block = [];
    } else {
      if (!block.length) start = i + 1;
      block.push(line);
    }
  });
  if (block.length) out.push({ start, lines: block });
  return out;
}

function parseCase(lines) {
  let i = 0;
  let binderDiffers = false, schemaDiffers = false;
  while (i < lines.length && lines[i].startsWith('#')) {
    if (lines[i].includes('[ls-binder-differs')) binderDiffers = true;
    if (lines[i].includes('[ls-schema-differs')) schemaDiffers = true;
    i++;
  }
  const query = [];
  while (i < lines.length && !lines[i].startsWith('==>')) query.push(lines[i++]);
  if (i === lines.length) return null;
  const arrow = lines[i++];
  let schema = null;
  if (i < lines.length && lines[i].startsWith('schema:')) schema = lines[i++];
  return { query: query.join('\n'), arrow, schema, rows: lines.slice(i), binderDiffers, schemaDiffers };
}

function diags(list) {
  const out = [];
  for (let i = 0; i < list.Count; i++) {
    const d = list.getItem(i);
    if (String(d.Severity) === 'Error') out.push(d.Message + ' @' + d.Start);
  }
  return out;
}

function rowKeys(s) {
  // Keys of the top-level object in textual order.
  const keys = [];
  let depth = 0, i = 0, inStr = false, tok = '', expectKey = false;
  for (; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      if (c === '\\') { tok += c + s[++i]; continue; }
      if (c === '"') { inStr = false; if (expectKey && depth === 1) keys.push(JSON.parse('"' + tok + '"')); expectKey = false; continue; }
      tok += c; continue;
    }
    if (c === '"') { inStr = true; tok = ''; continue; }
    if (c === '{' || c === '[') { depth++; if (c === '{' && depth === 1) expectKey = true; continue; }
    if (c === '}' || c === ']') { depth--; continue; }
    if (c === ',' && depth === 1) { expectKey = true; continue; }
    if (c === ':' && depth === 1) { expectKey = false; continue; }
  }
  return keys;
}

const verbose = process.argv.includes('-v');
const files = process.argv.slice(2).filter(a => a !== '-v');
const dir = path.join(__dirname, '..');
const list = files.length ? files : fs.readdirSync(dir).filter(f => f.endsWith('.test')).sort().map(f => path.join(dir, f));

let total = 0, validated = 0, schemaChecked = 0, rowsChecked = 0, failures = 0;
const runtimeOnly = [];
const binderDiffers = [];
const schemaDiffers = [];
for (const file of list) {
  const text = fs.readFileSync(file, 'utf8');
  for (const { start, lines } of splitCases(text)) {
    const c = parseCase(lines);
    if (!c) continue;
    total++;
    const where = path.basename(file) + ':' + start;
    const syn = diags(KustoCode.Parse(c.query).GetDiagnostics());
    const code = KustoCode.ParseAndAnalyze(c.query);
    const all = diags(code.GetDiagnostics());
    if (c.arrow.startsWith('==> error')) {
      if (!all.length) runtimeOnly.push(where);
      else if (verbose) console.log(where + ': error as expected: ' + all[0]);
      continue;
    }
    if (syn.length) { failures++; console.log(where + ': SYNTAX ERROR: ' + syn.join('; ')); continue; }
    const sem = all.filter(m => !syn.includes(m));
    if (sem.length) {
      if (c.binderDiffers) { binderDiffers.push(where); continue; }
      failures++; console.log(where + ': BINDER ERROR: ' + sem.join('; ')); continue;
    }
    if (c.binderDiffers) console.log(where + ': note: marked [ls-binder-differs] but the binder accepts it');
    validated++;
    const rt = code.ResultType;
    if (!rt || !rt.Columns) continue;
    const cols = [];
    for (let i = 0; i < rt.Columns.Count; i++) {
      const col = rt.Columns.getItem(i);
      cols.push({ name: col.Name, type: col.Type.Name });
    }
    const open = !!rt.IsOpen;
    if (c.schemaDiffers) { schemaDiffers.push(where); continue; }
    if (verbose) console.log(where + ': ' + cols.map(x => x.name + ':' + x.type).join(', ') + (open ? ' (open)' : ''));
    if (c.schema) {
      const want = c.schema.slice('schema:'.length).split(',').map(s => s.trim().replace(/\s*:\s*([a-z]+)$/, ':$1').replace(/^\[['"](.*)['"]\]:/, '$1:'));
      const got = cols.map(x => x.name + ':' + x.type);
      if (open) { /* binder cannot know */ }
      else if (want.join(', ') !== got.join(', ')) {
        failures++;
        console.log(where + ': SCHEMA MISMATCH: case says ' + want.join(', ') + ' ; service says ' + got.join(', '));
      } else schemaChecked++;
    }
    if (!open && c.rows.length && cols.length) {
      const names = cols.map(x => x.name);
      let ok = true;
      for (const r of c.rows) {
        const k = rowKeys(r);
        if (k.join('\u0001') !== names.join('\u0001')) {
          ok = false; failures++;
          console.log(where + ': COLUMN ORDER MISMATCH: row keys ' + JSON.stringify(k) + ' ; service says ' + JSON.stringify(names));
          break;
        }
      }
      if (ok) rowsChecked++;
    }
  }
}
const errorCases = countErrorCases();
console.log(`cases: ${total}; non-error cases parsed and bound without errors: ${validated}; ` +
            `schema lines confirmed: ${schemaChecked}; cases whose row columns were confirmed: ${rowsChecked}; ` +
            `error cases the service also rejects: ${errorCases - runtimeOnly.length} of ${errorCases}; failures: ${failures}`);
if (binderDiffers.length) console.log('parsed without syntax errors, binder rejection documented by [ls-binder-differs]: ' + binderDiffers.join(' '));
if (schemaDiffers.length) console.log('schema not compared, difference from the binder documented by [ls-schema-differs]: ' + schemaDiffers.join(' '));
if (runtimeOnly.length) console.log('error cases accepted by the service (runtime-only errors): ' + runtimeOnly.join(' '));
process.exit(failures ? 1 : 0);

function countErrorCases() {
  let n = 0;
  for (const file of list) for (const { lines } of splitCases(fs.readFileSync(file, 'utf8'))) {
    const c = parseCase(lines); if (c && c.arrow.startsWith('==> error')) n++;
  }
  return n;
}
