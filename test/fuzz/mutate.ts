/**
 * Mutations for the fuzzing suite, as fast-check arbitraries: byte-level damage (flips,
 * truncations, insertions, deletions, overwrites, hostile little-endian integers) and
 * JSON-level damage of a parsed document (deleted fields, type changes, huge, negative
 * and fractional numbers, duplicated list items, nested garbage). Positions are drawn as
 * naturals and taken modulo the input's length, so one mutation applies to any input.
 * Also: the run settings (FUZZ_RUNS, FUZZ_SEED) and the record of what each run found.
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { isMcError } from '../../src/errors.js';

/** Cases per property: FUZZ_RUNS when set (npm run fuzz), else `ci`. */
export function runs(ci: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ci;
}

/** The seed: FUZZ_SEED when set, else fixed (CI runs are reproducible). */
export const SEED = Number.isInteger(Number(process.env.FUZZ_SEED)) && process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_260_508;

/** fast-check settings: the seed, the case count, and a per-case time limit (a hang is a failure). */
export const settings = (ci: number) => ({ seed: SEED, numRuns: runs(ci), endOnFailure: true, plugins: [fc.timeout(20_000)] });

/** Outcome counts of one property: "ok" or an McError code. */
export class Tally {
  readonly counts: Record<string, number> = {};
  cases = 0;
  constructor(readonly name: string) {}

  /** Run `f`; an McError is an allowed outcome (counted by code, and returned), anything else is rethrown. */
  async run(f: () => Promise<void> | void): Promise<string> {
    this.cases++;
    try {
      await f();
      this.add('ok');
      return 'ok';
    } catch (e) {
      if (!isMcError(e)) throw e;
      this.add(e.code);
      return e.code;
    }
  }

  add(outcome: string): void {
    this.counts[outcome] = (this.counts[outcome] ?? 0) + 1;
  }

  /** Print the summary line and append it to FUZZ_REPORT (JSON lines) when set. */
  report(): void {
    const line = { property: this.name, seed: SEED, cases: this.cases, outcomes: this.counts };
    console.log(`fuzz ${this.name}: ${this.cases} cases, seed ${SEED}, outcomes ${JSON.stringify(this.counts)}`);
    if (process.env.FUZZ_REPORT) appendFileSync(process.env.FUZZ_REPORT, `${JSON.stringify(line)}\n`);
  }
}

/** Little-endian u32 values that break length and count fields. */
const HOSTILE_U32 = [0, 1, 3, 4, 0x7f, 0x80, 0xff, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];

export type ByteMutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }
  | { kind: 'u32'; at: number; value: number };

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(...HOSTILE_U32) }), weight: 2 },
);

/** One to four byte mutations. */
export const byteMutations = fc.array(byteMutation, { minLength: 1, maxLength: 4 });

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `bytes` with the mutations applied in turn (a fresh array). */
export function applyBytes(bytes: Uint8Array, ms: readonly ByteMutation[]): Uint8Array {
  let b: Uint8Array = bytes.slice();
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + (m.kind === 'insert' || m.kind === 'truncate' ? 1 : 0));
    if (m.kind === 'flip') {
      if (b.length) b[at] ^= m.mask;
    } else if (m.kind === 'truncate') b = b.slice(0, at);
    else if (m.kind === 'insert') b = concat(b.subarray(0, at), m.bytes, b.subarray(at));
    else if (m.kind === 'delete') b = concat(b.subarray(0, at), b.subarray(at + m.n));
    else if (m.kind === 'overwrite') b.set(m.bytes.subarray(0, Math.max(0, b.length - at)), at);
    else if (b.length >= 4) new DataView(b.buffer).setUint32(Math.min(at, b.length - 4), m.value, true);
  }
  return b;
}

/** JSON values that break validators: huge, negative, fractional, wrong types, nesting. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(-1, -0.5, 0, 0.5, 1, 3, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 5e-324, null, true, false, '', '0', '../x.bin', '/etc/passwd', 'https://x/w.bin', 'float64', 'uint8', 'float16', 'string', '__proto__', [], {}),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 12 }),
  fc.jsonValue({ maxDepth: 3 }),
  // Nesting is a marker, expanded only in the serialized text (see serialize): the harness never
  // holds a deep value, whose cloning or printing would overflow its own stack.
  fc.integer({ min: 1, max: 20_000 }).map((depth) => ({ [NESTED]: depth })),
);

/** Marker key of a nested-lists value of the given depth. */
const NESTED = '\u0000nested';

/** JSON text of `doc`, nested-list markers expanded to `[[[...]]]` of their depth. */
export function serialize(doc: unknown): string {
  const lists = (n: number) => `${'['.repeat(Math.min(n, 20_000))}${']'.repeat(Math.min(n, 20_000))}`;
  return JSON.stringify(doc).replace(/\{"\\u0000nested":(\d+)\}/g, (_, n: string) => lists(Number(n)));
}

export type JsonMutation =
  | { kind: 'delete'; pick: number }
  | { kind: 'replace'; pick: number; value: unknown }
  | { kind: 'retype'; pick: number; as: 'list' | 'object' | 'string' | 'number' }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'add'; pick: number; key: string; value: unknown };

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  { arbitrary: fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: hostileValue }), weight: 3 },
  fc.record({ kind: fc.constant('retype' as const), pick: fc.nat(), as: fc.constantFrom('list' as const, 'object' as const, 'string' as const, 'number' as const) }),
  fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), pick: fc.nat(), key: fc.constantFrom('quantization', 'shape', 'dtype', 'name', 'paths', 'weights', 'format', 'x'), value: hostileValue }),
);

/** One to three JSON mutations. */
export const jsonMutations = fc.array(jsonMutation, { minLength: 1, maxLength: 3 });

type Path = Array<string | number>;

/** Every path in `v`, those under `focus` (a top-level key) listed first and repeated, so most picks land there. */
function paths(v: unknown, focus: string): Path[] {
  const all: Path[] = [];
  const walk = (x: unknown, p: Path, depth: number) => {
    if (p.length > 0) all.push(p); // the document itself stays (a file holds something)
    if (depth > 12 || typeof x !== 'object' || x === null || Object.hasOwn(x, NESTED)) return; // a marker is one value
    for (const [k, c] of Object.entries(x)) walk(c, [...p, Array.isArray(x) ? Number(k) : k], depth + 1);
  };
  walk(v, [], 0);
  const focused = all.filter((p) => p[0] === focus);
  return [...focused, ...focused, ...focused, ...all];
}

/** A copy of `doc` with the mutations applied (serialize it to write it); `focus` is the top-level key most mutations hit. */
export function applyJson(doc: unknown, ms: readonly JsonMutation[], focus: string): unknown {
  const root = { doc: structuredClone(doc) } as Record<string, unknown>;
  for (const m of ms) {
    const ps = paths(root.doc, focus).map((p) => ['doc', ...p]);
    if (ps.length === 0) continue;
    const p = ps[m.pick % ps.length];
    const parent = p.slice(0, -1).reduce<any>((o, k) => o[k], root);
    const key = p[p.length - 1];
    const cur = parent[key];
    if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (m.kind === 'replace') parent[key] = structuredClone(m.value);
    else if (m.kind === 'retype') parent[key] = m.as === 'list' ? [cur] : m.as === 'object' ? { value: cur } : m.as === 'string' ? JSON.stringify(cur ?? null) : Number(cur);
    else if (m.kind === 'duplicate') {
      if (Array.isArray(parent)) parent.push(structuredClone(cur));
      else if (Array.isArray(cur)) cur.push(...structuredClone(cur));
      else parent[`${key}`] = structuredClone(cur);
    } else if (typeof cur === 'object' && cur !== null && !Array.isArray(cur)) (cur as Record<string, unknown>)[m.key] = structuredClone(m.value);
    else parent[key] = { [m.key]: structuredClone(m.value) };
  }
  return root.doc;
}
