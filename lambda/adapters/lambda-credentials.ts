/**
 * AWS credentials inside Lambda: the runtime puts the function role's credentials in
 * the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
 *
 * The stack's bundler substitutes this module for `@aws-sdk/credential-provider-node`,
 * the SDK's default chain: its SSO, INI, process, web-identity and IMDS providers (and
 * the STS/SSO clients they need, about 100 KB) can never apply in Lambda. Outside the
 * bundle (tests, the CLI) the SDK keeps its full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same shape as the SDK's `defaultProvider`: reads the environment, ignoring chain options. */
export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
