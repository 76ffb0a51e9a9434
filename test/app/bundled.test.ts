/**
 * The deployed bundle's rooms (`bundled-*.spec.ts` in this folder), run as one Jest file:
 * each synthesizes the stack and loads the bundle, and Jest gives every test file a module
 * registry of its own, so as two files they would load and compile aws-cdk-lib twice (see
 * test/infra/infra.test.ts). Each room is wrapped in a `describe` named after it, so its hooks
 * (the environment it sets, the stand-ins it starts) stay its own.
 */
import './bundled-handler.spec.js';
import './bundled-integrations.spec.js';
