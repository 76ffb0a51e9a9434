/**
 * The core's rooms (`*.spec.ts` in this folder), run as one Jest file: Jest builds a module
 * registry for every test file, and thirty small files paid that thirty times (measured on two
 * cores: 13.5 s of CPU as thirty files, 9.4 s as one). Why rooms are grouped, and how to run
 * one: test/infra/infra.test.ts.
 */
import './asff.spec.js';
import './audit-listing-consistency.spec.js';
import './audit-required.spec.js';
import './audit.properties.spec.js';
import './audit.spec.js';
import './chat-notification.spec.js';
import './concurrency.spec.js';
import './cursor.spec.js';
import './date-time.spec.js';
import './did-you-mean.spec.js';
import './discovery.spec.js';
import './enrichment.spec.js';
import './evidence-page.spec.js';
import './evidence.spec.js';
import './finding-events.spec.js';
import './finding-history.spec.js';
import './large-report.spec.js';
import './policy-messages.spec.js';
import './policy-yaml.spec.js';
import './policy.spec.js';
import './render-json.spec.js';
import './render-lookups.spec.js';
import './render-required.spec.js';
import './render-text.spec.js';
import './report.spec.js';
import './run-recorder.spec.js';
import './sanitize.spec.js';
import './shell-quote.spec.js';
import './sns-message.spec.js';
import './watch-allowance.spec.js';
import './watch-plan.spec.js';
import './zod-path.spec.js';
