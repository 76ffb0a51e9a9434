/**
 * The adapters' rooms (`*.spec.ts` in this folder and below), run as one Jest file, so that
 * the OpenAI client, got and the AWS SDK clients are loaded once, not once per room. Why rooms
 * are grouped, and how to run one: test/infra/infra.test.ts.
 */
import './aws-retry.spec.js';
import './batch-delivery.spec.js';
import './event-bridge-publisher.spec.js';
import './openai/base-url.spec.js';
import './openai/client-bounds.spec.js';
import './openai/client-deadline.spec.js';
import './openai/client-echoed-key.spec.js';
import './openai/client-lookups.spec.js';
import './openai/client.spec.js';
import './openai/http.spec.js';
import './openai/json-body.spec.js';
import './openai/organization.spec.js';
import './openai/outcome.spec.js';
import './openai/path.spec.js';
import './openai/rate-limit-headers.spec.js';
import './openai/redact.spec.js';
import './openai/retry.spec.js';
import './openai/schemas.spec.js';
import './request-limiter.spec.js';
import './security-hub-importer.spec.js';
import './sns-publisher.spec.js';
import './ssm-admin-key.spec.js';
import './store/local-folder-store.spec.js';
import './store/s3-store-requests.spec.js';
import './store/s3-store.spec.js';
