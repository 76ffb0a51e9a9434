/**
 * zod for the code bundled into the Lambda and the CLI: `zod/mini`, the functional API over the
 * same zod core as `import * as z from 'zod'`, with the same checks and messages in about a third
 * of the bytes (34 KB of the Lambda's bundle instead of 93 KB), which its cold import compiles on
 * every start. Import it as `import * as z from './zod.js'`, never zod itself, so that the
 * English messages below are set wherever a schema is.
 */

// By name from zod/locales, as zod documents it: `z.locales.en()` would bundle every locale.
import { en } from 'zod/locales';
import { config } from 'zod/mini';

// zod/mini loads no locale, and without one every message it words itself is "Invalid input".
// The policy's own messages (policy-issues.ts) cover most issues; the rest (the Lambda's
// settings, schema drift in an OpenAI answer) read as zod's English ones did before.
config(en());

export * from 'zod/mini';
