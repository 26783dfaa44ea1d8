/**
 * Keeps RECORD_TYPES in step with the edge: reads the edge's sources for every
 * `.append('<stream>', <type>, …)` and fails when a (stream, type) it can write is missing from the
 * table (the cloud would reject those records as `unknown-type`).
 *
 * A type written as a literal is read directly. A template `` `card.${state}` `` is expanded from
 * every literal union its variable is declared or set with in the same file
 * (`state: 'lost' | 'revoked'`). A type
 * passed as an expression (`r.type`) is over-approximated by every dotted string literal in that
 * file and the same-folder modules it imports (where its record union is declared), minus the
 * literals the file appends to other streams: this can fail on a string that is not a record type
 * (add it to NOT_RECORD_TYPES), never pass on a missing one. An append this test cannot read fails
 * it: teach the test the new form rather than loosen it.
 */

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { isStream } from './record.js';
import { isKnownType, RECORD_TYPES } from './record-types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EDGE = join(ROOT, 'edge');
/** Dotted strings near a dynamic append that are not record types. */
const NOT_RECORD_TYPES = new Set<string>(['terminal.prompt', 'terminal.result']); // the payments' driver events
const DOTTED = /'([a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*)+)'/g;
const FILE_EXTENSIONS = /\.(?:json|jsonl|js|ts|mjs|cjs|html|css|csv|xlsx|txt|log|pem|key|sock)$/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

interface Found {
  file: string;
  stream: string;
  types: string[];
  how: string;
}

function dottedLiterals(src: string): string[] {
  return [...src.matchAll(DOTTED)]
    .map((m) => m[1] as string)
    .filter((s) => !FILE_EXTENSIONS.test(s) && !NOT_RECORD_TYPES.has(s));
}

function sameFolderImports(file: string, src: string): string[] {
  return [...src.matchAll(/from\s+'\.\/([^']+)\.js'/g)]
    .map((m) => join(dirname(file), `${m[1]}.ts`))
    .filter((p) => existsSync(p));
}

/** Reads every record append in the edge; `problems` lists the appends it could not read. */
function scan(dir: string): { found: Found[]; problems: string[] } {
  const found: Found[] = [];
  const problems: string[] = [];
  for (const file of sources(dir)) {
    const src = stripComments(readFileSync(file, 'utf8'));
    const name = relative(dir, file);
    const calls = [...src.matchAll(/\.append\(\s*/g)].map((m) => {
      const rest = src.slice((m.index as number) + m[0].length);
      const receiver = src.slice(Math.max(0, (m.index as number) - 40), m.index).trim();
      return { rest, receiver };
    });
    const literalTypes = new Map<string, string>();
    const dynamic: { stream: string; expr: string }[] = [];
    for (const { rest, receiver } of calls) {
      const head = /^(['"])([^'"]*)\1\s*,\s*/.exec(rest);
      if (!head) {
        // Only record logs take (stream, type, body); a journal takes a payload.
        if (/records$/i.test(receiver)) problems.push(`${name}: append with a computed stream`);
        continue;
      }
      const stream = head[2] as string;
      const arg = rest.slice(head[0].length);
      const literal = /^(['"])([^'"`]*)\1/.exec(arg);
      const template = /^`([^`$]*)\$\{\s*(\w+)\s*\}([^`]*)`/.exec(arg);
      if (literal) {
        literalTypes.set(literal[2] as string, stream);
        found.push({ file: name, stream, types: [literal[2] as string], how: 'literal' });
      } else if (template) {
        const [, pre, variable, post] = template;
        // Every literal the variable is declared or set with in the file (an over-approximation).
        const decls = src.matchAll(
          new RegExp(`\\b${variable}\\??\\s*[:=]\\s*((?:'[^']*'\\s*\\|?\\s*)+)`, 'g'),
        );
        const values = [
          ...new Set(
            [...decls].flatMap((d) =>
              [...(d[1] as string).matchAll(/'([^']*)'/g)].map((v) => v[1] as string),
            ),
          ),
        ];
        if (values.length === 0) problems.push(`${name}: no union of literals declares ${variable}`);
        found.push({ file: name, stream, types: values.map((v) => `${pre}${v}${post}`), how: 'template' });
      } else {
        dynamic.push({ stream, expr: arg.slice(0, arg.search(/[,)]/)) });
      }
    }
    for (const { stream, expr } of dynamic) {
      const texts = [src, ...sameFolderImports(file, src).map((p) => stripComments(readFileSync(p, 'utf8')))];
      const types = [
        ...new Set(texts.flatMap(dottedLiterals).filter((s) => (literalTypes.get(s) ?? stream) === stream)),
      ];
      if (types.length === 0) problems.push(`${name}: cannot tell which types ${expr} appends to ${stream}`);
      found.push({ file: name, stream, types, how: `expression ${expr}` });
    }
  }
  return { found, problems };
}

function missingFrom(found: Found[]): { missing: string[]; written: Set<string> } {
  const missing: string[] = [];
  const written = new Set<string>();
  for (const f of found) {
    if (!isStream(f.stream)) missing.push(`${f.file}: stream ${f.stream} is not in STREAMS`);
    for (const type of f.types) {
      written.add(`${f.stream}/${type}`);
      if (!isKnownType(f.stream, type)) missing.push(`${f.file} (${f.how}): ${f.stream} ${type}`);
    }
  }
  return { missing, written };
}

t.test('every (stream, type) the edge appends is in RECORD_TYPES', async (t) => {
  const { found, problems } = scan(EDGE);
  t.same(problems, [], 'every append in the edge could be read');
  t.ok(found.length >= 10, `found ${found.length} appends`);
  const { missing, written } = missingFrom(found);
  t.same(missing, [], 'add these to RECORD_TYPES in cloud-sync/protocol/record-types.ts');
  // Sanity: each way of writing a type was seen, so the reader has not silently gone blind.
  t.ok(written.has('points/card.swipe'), 'a literal');
  t.ok(written.has('registry/card.lost'), 'a template');
  t.ok(written.has('alarm/alarm.raised') && written.has('points/assessment.made'), 'an expression');
  // The other way round is only reported: a type may be kept for records already written.
  const unused = Object.entries(RECORD_TYPES).flatMap(([stream, types]) =>
    types
      .filter((type: string) => !written.has(`${stream}/${type}`))
      .map((type: string) => `${stream}/${type}`),
  );
  if (unused.length > 0) t.comment(`in RECORD_TYPES but not seen in the edge: ${unused.join(', ')}`);
});

t.test('the reader itself: a missing type is caught in each form, an unreadable append fails', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-record-types-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'things'));
  writeFileSync(
    join(dir, 'things', 'thing-model.ts'),
    "export type ThingRecord = { type: 'thing.made' } | { type: 'alarm.raised' };\n",
  );
  writeFileSync(
    join(dir, 'things', 'thing-service.ts'),
    [
      "import type { ThingRecord } from './thing-model.js';",
      "await records.append('points', 'points.minted', {});",
      "await records.append('points', 'card.swipe', {});",
      "async function set(state: 'lost' | 'melted') {",
      `  await this.records.append('registry', \`card.\${state}\`, {});`,
      '}',
      'async function commit(r: ThingRecord) {',
      "  await this.opts.records.append('alarm', r.type, r.body);",
      '}',
      "await records.append('heat', 'heat.rose', {});",
      'await records.append(stream, type, {});',
      `await records.append('device', \`device.\${nowhere}\`, {});`,
      'await this.journal.append(payload);',
    ].join('\n'),
  );
  const { found, problems } = scan(dir);
  t.same(problems, [
    'things/thing-service.ts: append with a computed stream',
    'things/thing-service.ts: no union of literals declares nowhere',
  ]);
  t.same(missingFrom(found).missing, [
    'things/thing-service.ts (literal): points points.minted',
    'things/thing-service.ts (template): registry card.melted',
    'things/thing-service.ts: stream heat is not in STREAMS',
    'things/thing-service.ts (literal): heat heat.rose',
    'things/thing-service.ts (expression r.type): alarm thing.made',
  ]);
});
