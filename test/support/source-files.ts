/** The service's TypeScript sources, for the tests that read the code itself (layering, templates). */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

/** Every .ts file below a folder of the repository (none when the folder does not exist). */
export function tsFilesUnder(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) out.push(path);
    }
  };
  try {
    walk(join(ROOT, folder));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return out;
}

/** A file's path from the repository's root, with forward slashes. */
export const repoPath = (file: string) => relative(ROOT, file).split(sep).join('/');
