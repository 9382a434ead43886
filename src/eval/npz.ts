/**
 * Reading NumPy .npz files (np.savez / np.savez_compressed: a zip of `<key>.npy`
 * members, stored or deflated). Every member's method and declared size are checked
 * before any is inflated (zip.ts), then each is parsed as a .npy array (npy.ts).
 */
import { McError } from '../errors.js';
import { type NpyArray, parseNpy } from './npy.js';
import { checkDeclared, memberBytes, zipMembers } from './zip.js';

/** One array of an .npz: its key (the member name without ".npy") and its values. */
export interface NpzArray {
  name: string;
  array: NpyArray;
}

/** Parse the bytes of an .npz file into its arrays, in archive order; `file` names it in errors. */
export function parseNpz(bytes: Uint8Array, file: string): NpzArray[] {
  const members = zipMembers(bytes, file);
  if (members.length === 0) throw new McError('BAD_VALUE', `${file}: expected an .npz holding at least one array, found an empty archive`);
  const seen = new Set<string>();
  for (const m of members) {
    if (!m.name.endsWith('.npy') || m.name.length === 4) {
      throw new McError('BAD_VALUE', `${file}: member "${m.name}" is not a .npy array (an .npz holds only <key>.npy members, as np.savez writes them)`);
    }
    if (seen.has(m.name)) throw new McError('BAD_VALUE', `${file}: member "${m.name}" appears twice`);
    seen.add(m.name);
    // All of them before inflating any: a bomb in the last member costs nothing.
    checkDeclared(m, file);
  }
  return members.map((m) => {
    const name = m.name.slice(0, -4);
    return { name, array: parseNpy(memberBytes(bytes, m, file), `${file}: array "${name}"`) };
  });
}
