/**
 * The infrastructure's rooms (`*.spec.ts` in this folder), run as one Jest file.
 *
 * Jest gives every test file a module registry of its own, so each file that synthesizes the
 * stack loads and compiles aws-cdk-lib again: about two seconds of CPU per file, against a
 * fraction of a second for a synthesis once it is loaded. Run together they load it once
 * (measured on this project's two cores: the seven template rooms took 24.6 s of CPU as seven
 * files, 5.7 s as one). Each room stays a file of its own, wrapped in a `describe` named
 * after it, so its hooks stay its own; run one with `npx jest test/infra/infra -t policy-bundle`.
 */
import './deploy-settings.spec.js';
import './policy-bundle.spec.js';
import './stack.spec.js';
import './stack.snapshot.spec.js';
import './stack-deployments.spec.js';
import './stack-integrations.spec.js';
import './stack-settings.spec.js';
import './watch-stack.spec.js';
