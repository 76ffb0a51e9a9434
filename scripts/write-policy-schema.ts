/** `npm run schema`: regenerates policy.schema.json from the zod schema. */
import { writeFile } from 'node:fs/promises';
import { policyJsonSchemaText } from './policy-json-schema.js';

await writeFile(new URL('../policy.schema.json', import.meta.url), policyJsonSchemaText());
console.log('wrote policy.schema.json');
