/**
 * The OpenAI emulator's rooms (`*.spec.ts` in this folder), run as one Jest file. Why rooms
 * are grouped, and how to run one: test/infra/infra.test.ts.
 */
import './openai-emulator-organization.spec.js';
import './openai-emulator.spec.js';
import './rate-limit-reply.spec.js';
import './token-bucket.spec.js';
