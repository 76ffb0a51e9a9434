/**
 * Path parameters, encoded exactly as the official openai-node SDK encodes them
 * (`encodeURIPath` in its `internal/utils/path.ts`): RFC 3986 `pchar` characters stay
 * raw, so a checkpoint id such as `ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd`
 * goes into the path with its colons; everything else (`/ ? #`, spaces, control
 * characters, non-ASCII) is percent-encoded as UTF-8.
 */

import { ApiError } from '../../core/errors.js';
import { printable } from '../../core/sanitize.js';

// unreserved / sub-delims / ":" / "@" (RFC 3986 section 3.3); percent signs are encoded too.
const NOT_PCHAR = /[^A-Za-z0-9\-._~!$&'()*+,;=:@]+/g;

/**
 * Encodes one path parameter, refusing a value that cannot name a resource:
 * empty, `.` or `..` (which URL parsers resolve as relative segments, so the request
 * would reach another endpoint), or a string that is not well-formed UTF-16.
 *
 * @param name what the value is, for the error message (e.g. `checkpoint id`)
 * @throws ApiError `ERR_INVALID_ID`, before any request is made
 */
export function encodePathParam(name: string, value: string): string {
  if (value === '' || value === '.' || value === '..') {
    throw new ApiError('ERR_INVALID_ID', `invalid ${name} '${value}': it cannot be used in a URL path`, {
      attempts: 0,
    });
  }
  try {
    return value.replace(NOT_PCHAR, encodeURIComponent);
  } catch {
    // encodeURIComponent throws URIError on a lone surrogate.
    throw new ApiError(
      'ERR_INVALID_ID',
      `invalid ${name} '${printable(value)}': it is not well-formed Unicode`,
      {
        attempts: 0,
      },
    );
  }
}
