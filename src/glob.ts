/** Tensor name selection with `*` wildcards, as the tfjs converter's node lists take them. */

/** A RegExp for a glob where `*` matches any run of characters (including `/`). */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** Name filter from --include / --exclude: included when no include list or one matches, and no exclude matches. */
export function nameFilter(include: readonly string[] = [], exclude: readonly string[] = []): (name: string) => boolean {
  const inc = include.map(globToRegExp);
  const exc = exclude.map(globToRegExp);
  return (name) => (inc.length === 0 || inc.some((r) => r.test(name))) && !exc.some((r) => r.test(name));
}
