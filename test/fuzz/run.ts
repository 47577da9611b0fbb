/**
 * The HTTP fuzz test (test/fuzz/http-fuzz.test.ts) on demand, longer than in the suite:
 *
 *   npm run fuzz -- --runs 2000 [--seed N --path P] [--only 'POST /portal'] [--keep-going] [--report file.json] [--time-limit S]
 *   FUZZ_RUNS=2000 npm run fuzz
 *
 * Runs jest on that one file with its settings in the environment (what the environment already says is kept; the
 * flags win); the file prints the summary at the end: requests per operation, answers per status, known 5xx,
 * violations. Defaults here: 1000 generated requests, no time limit.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const args = process.argv.slice(2);
const env: Record<string, string> = {};
const flags: Record<string, string> = {
  '--runs': 'FUZZ_RUNS', '--seed': 'FUZZ_SEED', '--path': 'FUZZ_PATH', '--only': 'FUZZ_ONLY', '--report': 'FUZZ_REPORT', '--time-limit': 'FUZZ_TIME_LIMIT_S',
};
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--keep-going') env.FUZZ_KEEP_GOING = '1';
  else if (flags[a] && args[i + 1] !== undefined) env[flags[a]] = args[++i]!;
  else {
    process.stderr.write(`unknown argument ${a}; use --runs N --seed N --path P --only REGEX --keep-going --report FILE --time-limit S\n`);
    process.exit(2);
  }
}
env.FUZZ_RUNS ??= process.env.FUZZ_RUNS ?? '1000';
env.FUZZ_TIME_LIMIT_S ??= process.env.FUZZ_TIME_LIMIT_S ?? '0';
process.stdout.write(`fuzz: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
const root = join(__dirname, '../..');
const res = spawnSync(process.execPath, [join(root, 'node_modules/jest/bin/jest.js'), 'test/fuzz/http-fuzz.test.ts', '--runInBand'], {
  cwd: root, stdio: 'inherit', env: { ...process.env, ...env },
});
process.exit(res.status ?? 1);
