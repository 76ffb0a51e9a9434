/** `checkpoints[3].allowedProjects[0]` from a path of keys and indices (zod's, or a JSON parser's). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
