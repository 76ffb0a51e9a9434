/**
 * The repository root: where package-lock.json, cdk.json and lambda/ live. The
 * function is bundled from it, and a relative `policyFile` setting is resolved
 * against it.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = dirname(fileURLToPath(new URL('../package.json', import.meta.url)));
