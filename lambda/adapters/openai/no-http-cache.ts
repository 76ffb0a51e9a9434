/**
 * got's HTTP cache, left out of the Lambda bundle and of the compiled CLI.
 *
 * got imports `cacheable-request` (and through it keyv, http-cache-semantics, normalize-url and
 * responselike: about 37 KB of the minified bundle) for its `cache` option, and builds a
 * `CacheableRequest` only when a request sets that option. The one request in this code base
 * (`exchange` in http.ts) never does: an answer about who holds a model must not come from a
 * cache. The stack's bundler and the CLI's (scripts/build.mjs) substitute this module for
 * `cacheable-request`, so the bundles keep got as it is and drop what it cannot reach. Run from
 * the sources (the tests, the CLI through tsx), got keeps its own.
 */

/** What got would build for a request with a `cache`: here it refuses, so a cache cannot be switched on unnoticed. */
export default class CacheableRequest {
  constructor() {
    throw new Error(
      "got's HTTP cache is not in this bundle (see lambda/adapters/openai/no-http-cache.ts): no request may set `cache`",
    );
  }
}

/** got tells a cache failure by `instanceof CacheError`; none can happen without a cache. */
export class CacheError extends Error {}
