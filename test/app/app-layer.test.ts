/**
 * The rooms of the composition layer (`*.spec.ts` in this folder: the CLI, the handler, the
 * runners), run as one Jest file, so that the engine, the emulator and the AWS SDK clients
 * are loaded once, not once per room. The deployed bundle's rooms (bundled.test.ts) and the
 * browser's (evidence-page-browser.test.ts) run apart. Why rooms are grouped, and how to run
 * one: test/infra/infra.test.ts.
 */
import './api-boundary.spec.js';
import './audit-runner-rate-limits.spec.js';
import './cli-arguments.spec.js';
import './cli-evidence.spec.js';
import './cli-restore.spec.js';
import './cli-startup.spec.js';
import './cli-state.spec.js';
import './cli.spec.js';
import './discovery.spec.js';
import './handler-settings.spec.js';
import './handler.spec.js';
import './integrations.spec.js';
import './lookups.spec.js';
import './notification.spec.js';
import './policy-file.spec.js';
import './policy-schema.spec.js';
import './required-grants.spec.js';
import './setting-rules.spec.js';
import './watch.spec.js';
