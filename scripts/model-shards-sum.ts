/**
 * The totals of the long model run's shard reports (scripts/model-shards.sh --sum), for docs/reliability.md.
 *   model-shards-sum.ts [--out FILE] <commit> [<commit> …]
 * With several commits, each seed counts once: its report at the last commit given that has one (a shard run again at
 * a later commit replaces the earlier run of it). --out writes the counted reports, one per seed, to FILE (to keep them).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface ShardReport {
  outcome: string;
  sequences: number;
  commands: number;
  kills: { worker: number; temporal: number };
  crashes?: Record<string, number>;
  violations: number;
  coverage: Record<string, number>;
  wallSeconds: number;
}

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const outFile = outAt >= 0 ? args.splice(outAt, 2)[1] : undefined;
if (args.length === 0) throw new Error('usage: model-shards-sum.ts [--out FILE] <commit> [<commit> …] (short commits, as under data/model-shards/)');

const bySeed = new Map<number, { commit: string; report: ShardReport }>();
for (const commit of args) {
  const dir = join('data/model-shards', commit);
  if (!existsSync(dir)) throw new Error(`no reports under ${dir}`);
  for (const f of readdirSync(dir)) {
    const seed = /^shard-(\d+)\.json$/.exec(f)?.[1];
    if (seed) bySeed.set(Number(seed), { commit, report: JSON.parse(readFileSync(join(dir, f), 'utf8')) as ShardReport });
  }
}

const add = (into: Record<string, number>, from: Record<string, number> = {}) => {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
};
const t = { shards: 0, passed: 0, sequences: 0, commands: 0, worker: 0, temporal: 0, diedOnTheirOwn: {} as Record<string, number>, violations: 0, wallSeconds: 0, seedsByCommit: {} as Record<string, number[]>, coverage: {} as Record<string, number> };
for (const [seed, { commit, report: r }] of [...bySeed].sort(([a], [b]) => a - b)) {
  t.shards++;
  t.passed += r.outcome.startsWith('passed') && r.violations === 0 ? 1 : 0;
  t.sequences += r.sequences;
  t.commands += r.commands;
  t.worker += r.kills.worker;
  t.temporal += r.kills.temporal;
  t.violations += r.violations;
  t.wallSeconds += r.wallSeconds;
  add(t.diedOnTheirOwn, r.crashes);
  add(t.coverage, r.coverage);
  (t.seedsByCommit[commit] ??= []).push(seed);
}
process.stdout.write(`${JSON.stringify(t)}\n`);
if (outFile) {
  const shards = Object.fromEntries([...bySeed].sort(([a], [b]) => a - b).map(([seed, v]) => [seed, v]));
  writeFileSync(outFile, `${JSON.stringify({ totals: t, shards }, null, 1)}\n`);
}
