/**
 * How the location of a problem is written in every message that names one: the policy's
 * (zod's issues and the JSON reader's duplicate keys), the Lambda's and the deploy settings,
 * and the schema drift of an OpenAI response.
 */

/** `checkpoints[3].allowedProjects[0]` from a zod path; `''` for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
