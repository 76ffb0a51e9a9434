/**
 * got's HTTP cache, left out of the Lambda bundle.
 *
 * got imports `cacheable-request` (and through it keyv, http-cache-semantics, normalize-url and
 * responselike: about 37 KB of the minified bundle) for its `cache` option, and builds a
 * `CacheableRequest` only when a request sets that option. The one request in this code base
 * (`exchange` in http.ts) never does: an answer about who holds a model must not come from a
 * cache. The stack's bundler substitutes this module for `cacheable-request`, so the bundle
 * keeps got as it is and drops what it cannot reach. Outside the bundle (tests, the CLI) got
 * keeps its own.
 */

/** What got would build for a request with a `cache`: here it refuses, so a cache cannot be switched on unnoticed. */
export default class CacheableRequest {
  constructor() {
    throw new Error(
      "got's HTTP cache is not in the Lambda bundle (see lambda/adapters/openai/no-http-cache.ts): no request may set `cache`",
    );
  }
}

/** got tells a cache failure by `instanceof CacheError`; none can happen without a cache. */
export class CacheError extends Error {}
