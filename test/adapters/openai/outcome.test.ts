/**
 * Reading a reply: the one place where text from the API enters the program, parsed once
 * and redacted whole.
 */
import { describe, expect, it } from '@jest/globals';
import { readReply } from '../../../lambda/adapters/openai/outcome.js';
import { createRedactor } from '../../../lambda/adapters/openai/redact.js';

const KEY = 'sk-admin-0utcomeKey0123456789abcdefghijklmnopq';
const redact = createRedactor([KEY], { keepLines: true });
const JSON_TYPE = { 'content-type': 'application/json' };

function read(status: number, body: unknown, headers: Record<string, string> = JSON_TYPE) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return readReply({ status, headers, body: text }, { redact });
}

describe('readReply', () => {
  it('redacts every string of the body, object keys included, and says where', () => {
    const reply = read(200, {
      data: [
        { id: 'cp_1', project_id: `proj_${KEY}` },
        { id: 'cp_2', name: `a ${KEY.slice(-16)} b` },
      ],
      [`k_${KEY}`]: { nested: [KEY.slice(3)] },
      count: 2,
    });

    expect(reply.body).toEqual({
      kind: 'json',
      value: {
        data: [
          { id: 'cp_1', project_id: 'proj_[REDACTED]' },
          { id: 'cp_2', name: 'a [REDACTED] b' },
        ],
        'k_[REDACTED]': { nested: ['[REDACTED]'] },
        count: 2,
      },
      redacted: [
        ['data', 0, 'project_id'],
        ['data', 1, 'name'],
        ['k_[REDACTED]', 'nested', 0],
        ['k_[REDACTED]'],
      ],
    });
  });

  it('redacts every header, the request id included', () => {
    const reply = read(
      400,
      { error: { message: 'no' } },
      {
        ...JSON_TYPE,
        'x-request-id': `req_${KEY}`,
        'x-debug': `token=${KEY}`,
      },
    );

    expect(reply.requestId).toBe('req_[REDACTED]');
    expect(reply.headers['x-debug']).toBe('token=[REDACTED]');
  });

  it('takes the API error fields from the redacted body', () => {
    const reply = read(429, { error: { message: `slow down ${KEY}`, code: KEY, type: 'requests' } });

    expect(reply.api).toEqual({ message: 'slow down [REDACTED]', code: '[REDACTED]', type: 'requests' });
  });
});
