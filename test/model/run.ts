/**
 * `npm run model-check -- --runs 1000 [--commands 12] [--seed N --path P] [--keep-going] [--report file.json] [--time-limit S]`:
 * the long model-based run (test/model/ledger-model.test.ts) on demand. Runs jest on that one file with its settings
 * in the environment; the file prints the figures at the end (sequences, commands, kills/restarts, violations, wall).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const args = process.argv.slice(2);
const env: Record<string, string> = { MODEL_TIME_LIMIT_S: '0' };
const flags: Record<string, string> = { '--runs': 'MODEL_RUNS', '--commands': 'MODEL_MAX_COMMANDS', '--seed': 'MODEL_SEED', '--path': 'MODEL_PATH', '--report': 'MODEL_REPORT', '--time-limit': 'MODEL_TIME_LIMIT_S' };
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--keep-going') env.MODEL_KEEP_GOING = '1';
  else if (flags[a] && args[i + 1] !== undefined) env[flags[a]] = args[++i]!;
  else {
    process.stderr.write(`unknown argument ${a}; use --runs N --commands N --seed N --path P --keep-going --report FILE --time-limit S\n`);
    process.exit(2);
  }
}
env.MODEL_RUNS ??= '1000';
process.stdout.write(`model-check: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
const root = join(__dirname, '../..');
const res = spawnSync(process.execPath, [join(root, 'node_modules/jest/bin/jest.js'), 'test/model/ledger-model.test.ts', '--runInBand'], {
  cwd: root, stdio: 'inherit', env: { ...process.env, ...env },
});
process.exit(res.status ?? 1);
