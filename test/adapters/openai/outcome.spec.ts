/**
 * Reading a reply: the one place where text from the API enters the program, parsed once,
 * within bounds, and redacted whole.
 */
import { describe, expect, it } from '@jest/globals';
import { readReply } from '../../../lambda/adapters/openai/outcome.js';
import { createRedactor, type Redactor } from '../../../lambda/adapters/openai/redact.js';

describe('openai/outcome', () => {
  const KEY = 'sk-admin-0utcomeKey0123456789abcdefghijklmnopq';
  const redact = createRedactor([KEY], { keepLines: true });
  const JSON_TYPE = { 'content-type': 'application/json' };

  function read(status: number, body: unknown, headers: Record<string, string> = JSON_TYPE) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return readReply({ status, headers, body: text }, { redact });
  }

  function readPage(page: unknown, maxItems: number) {
    return readReply({ status: 200, headers: JSON_TYPE, body: JSON.stringify(page) }, { redact, maxItems });
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

    it('redacts a secret that the JSON text hides behind escapes', () => {
      // Every character of the key written as \uXXXX: the text holds no piece of it, the parsed string the whole.
      const escapedKey = [...KEY]
        .map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
        .join('');
      const escaped = JSON.stringify({ data: [{ id: 'cp_1', project_id: 'proj_KEY' }] }).replace(
        'KEY',
        escapedKey,
      );
      expect(redact.mayHoldSecret(escaped.replaceAll('\\', ''))).toBe(false);

      const reply = read(200, escaped);

      expect(reply.body).toEqual({
        kind: 'json',
        value: { data: [{ id: 'cp_1', project_id: 'proj_[REDACTED]' }] },
        redacted: [['data', 0, 'project_id']],
      });
    });

    it('vouches for a clean body from one look at its text, without visiting each string', () => {
      const calls: string[] = [];
      const counting: Redactor = Object.assign(
        (text: string) => {
          calls.push(text);
          return redact(text);
        },
        { mayHoldSecret: redact.mayHoldSecret },
      );
      const page = {
        data: [
          { id: 'cp_1', project_id: 'proj_a' },
          { id: 'cp_2', project_id: 'proj_b' },
        ],
      };
      const clean = readReply({ status: 200, headers: {}, body: JSON.stringify(page) }, { redact: counting });
      expect(clean.body).toEqual({ kind: 'json', value: page, redacted: [] });
      expect(calls).toEqual([]);

      // One suspicious piece anywhere in the text (here a bearer token) and every string is visited.
      const suspicious = { ...page, note: 'Bearer abc' };
      const visited = readReply(
        { status: 200, headers: {}, body: JSON.stringify(suspicious) },
        { redact: counting },
      );
      expect(visited.body).toMatchObject({ kind: 'json', value: { note: 'Bearer [REDACTED]' } });
      expect(calls).toEqual(expect.arrayContaining(['proj_a', 'proj_b', 'note', 'Bearer abc']));
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

    it('does not read a page holding more items than the limit it was asked for', () => {
      const page = { object: 'list', data: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], has_more: false };

      expect(readPage(page, 2).body).toEqual({
        kind: 'unread',
        why: 'the page holds 3 items, more than the limit of 2 it was asked for',
      });
      expect(readPage(page, 3).body.kind).toBe('json');
    });

    it('does not parse a body nested deeper than the bound', () => {
      expect(read(200, `${'['.repeat(65)}${']'.repeat(65)}`).body).toEqual({
        kind: 'unread',
        why: 'the response body nests deeper than 64 levels',
      });
    });

    it('keeps the status and headers of an error whose body was too large to read', () => {
      const reply = readReply(
        { status: 429, headers: { 'retry-after-ms': '10' }, body: undefined },
        { redact },
      );

      expect(reply).toMatchObject({
        status: 429,
        headers: { 'retry-after-ms': '10' },
        body: { kind: 'unread', why: 'the error body was too large to read' },
        api: {},
      });
    });
  });
});
