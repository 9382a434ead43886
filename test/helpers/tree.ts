/** Snapshots of folders, to prove that a failed command wrote nothing and touched no input. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import path from 'node:path';

/** Map of relative path to sha256 (or "dir"/"link"/"special" for a FIFO or device, which are never read) for everything under `dir`. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const rel = path.relative(dir, full);
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out[rel] = 'link';
      else if (st.isDirectory()) {
        out[rel] = 'dir';
        walk(full);
      } else if (!st.isFile()) out[rel] = 'special';
      else out[rel] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}
