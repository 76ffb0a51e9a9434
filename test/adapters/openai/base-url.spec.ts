import { describe, expect, it } from '@jest/globals';
import { DEFAULT_BASE_URL, resolveBaseUrl } from '../../../lambda/adapters/openai/base-url.js';
import { CheckpointGuardError } from '../../../lambda/core/errors.js';

describe('openai/base-url', () => {
  describe('resolveBaseUrl', () => {
    it.each([undefined, '', '   '])('defaults to the OpenAI API for %p', (value) => {
      expect(resolveBaseUrl(value)).toBe(DEFAULT_BASE_URL);
    });

    it.each([
      ['https://api.openai.com/v1/', 'https://api.openai.com/v1'],
      ['https://proxy.example.com/openai/v1//', 'https://proxy.example.com/openai/v1'],
      ['http://localhost:8080/v1', 'http://localhost:8080/v1'],
      ['http://127.0.0.1:4010/v1/', 'http://127.0.0.1:4010/v1'],
      ['http://127.8.9.10/v1', 'http://127.8.9.10/v1'],
      ['http://[::1]:4010/v1', 'http://[::1]:4010/v1'],
    ])('accepts %s as %s', (value, expected) => {
      expect(resolveBaseUrl(value)).toBe(expected);
    });

    it.each([
      ['plain http to another host', 'http://api.openai.com/v1'],
      ['plain http to a host named like loopback', 'http://127.0.0.1.example.com/v1'],
      ['another scheme', 'ftp://127.0.0.1/v1'],
      ['a query string', 'https://api.openai.com/v1?x=1'],
      ['a fragment', 'https://api.openai.com/v1#top'],
      ['a relative URL', 'api.openai.com/v1'],
    ])('refuses %s with ERR_INVALID_BASE_URL', (_case, value) => {
      expect(() => resolveBaseUrl(value)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_BASE_URL' }));
    });

    it('refuses credentials in the URL without repeating them', () => {
      let thrown: unknown;
      try {
        resolveBaseUrl('https://user:hunter2secret@api.openai.com/v1');
      } catch (error) {
        thrown = error;
      }

      expect(thrown).toBeInstanceOf(CheckpointGuardError);
      expect(thrown).toMatchObject({ code: 'ERR_INVALID_BASE_URL' });
      expect(String(thrown)).not.toContain('hunter2secret');
    });
  });
});
