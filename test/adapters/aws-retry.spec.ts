import { isRetryableAwsError, withAwsRetry } from '../../lambda/adapters/aws-retry.js';

/** An error shaped like the ones the AWS SDK v3 throws. */

describe('aws-retry', () => {
  function awsError(name: string, httpStatusCode?: number, extra: Record<string, unknown> = {}): Error {
    const error = new Error(`simulated ${name}`);
    error.name = name;
    return Object.assign(error, {
      $metadata: httpStatusCode === undefined ? {} : { httpStatusCode },
      ...extra,
    });
  }

  /** A call that fails with each of `failures` in turn, then resolves to `value`; it counts its calls. */
  function callFailing<T>(failures: readonly unknown[], value: T): { (): Promise<T>; calls: number } {
    const call = Object.assign(
      async (): Promise<T> => {
        const failure = failures[call.calls];
        call.calls++;
        if (failure !== undefined) throw failure;
        return value;
      },
      { calls: 0 },
    );
    return call;
  }

  /** A sleep that records what it was asked to wait and returns at once. */
  function recordingSleep(): { (ms: number): Promise<void>; waits: number[] } {
    const waits: number[] = [];
    return Object.assign(
      async (ms: number): Promise<void> => {
        waits.push(ms);
      },
      { waits },
    );
  }

  describe('isRetryableAwsError', () => {
    it.each([
      'ThrottlingException',
      'Throttling',
      'ThrottledException',
      'TooManyRequestsException',
      'RequestLimitExceeded',
      'InternalServerError',
      'InternalErrorException',
      'InternalFailure',
      'ServiceUnavailable',
    ])('%s is retryable', (name) => {
      expect(isRetryableAwsError(awsError(name, 400))).toBe(true);
    });

    it('an error the SDK marks $retryable is retryable', () => {
      expect(
        isRetryableAwsError(awsError('SomethingTransient', 400, { $retryable: { throttling: false } })),
      ).toBe(true);
    });

    it.each([500, 502, 503, 504, 429])('an error with HTTP status %i is retryable', (status) => {
      expect(isRetryableAwsError(awsError('UnknownError', status))).toBe(true);
    });

    it.each([
      { what: 'AccessDeniedException', error: awsError('AccessDeniedException', 400) },
      { what: 'ParameterNotFound', error: awsError('ParameterNotFound', 400) },
      { what: 'a 404', error: awsError('NotFound', 404) },
      { what: 'an error without metadata', error: new Error('plain') },
      { what: 'null', error: null },
      { what: 'undefined', error: undefined },
      { what: 'a string naming a throttling error', error: 'ThrottlingException' },
      { what: 'a number', error: 503 },
    ])('$what is not retryable', ({ error }) => {
      expect(isRetryableAwsError(error)).toBe(false);
    });
  });

  describe('withAwsRetry', () => {
    it('returns the result of a call that succeeds at once, without sleeping', async () => {
      const call = callFailing([], 'ok');
      const sleep = recordingSleep();

      const result = await withAwsRetry(call, { sleep });

      expect(result).toBe('ok');
      expect(call.calls).toBe(1);
      expect(sleep.waits).toEqual([]);
    });

    it('retries a throttled call and returns the result of the attempt that succeeds', async () => {
      const call = callFailing([awsError('ThrottlingException', 400)], 'ok');

      const result = await withAwsRetry(call, { sleep: recordingSleep() });

      expect(result).toBe('ok');
      expect(call.calls).toBe(2);
    });

    it('makes at most `attempts` calls', async () => {
      const call = callFailing(
        Array.from({ length: 10 }, () => awsError('ThrottlingException', 400)),
        'ok',
      );

      await expect(withAwsRetry(call, { attempts: 4, sleep: recordingSleep() })).rejects.toThrow();

      expect(call.calls).toBe(4);
    });

    it('makes three attempts by default', async () => {
      const call = callFailing(
        Array.from({ length: 10 }, () => awsError('InternalFailure', 500)),
        'ok',
      );

      await expect(withAwsRetry(call, { sleep: recordingSleep() })).rejects.toThrow();

      expect(call.calls).toBe(3);
    });

    it('backs off exponentially from baseDelayMs between attempts', async () => {
      const call = callFailing(
        Array.from({ length: 10 }, () => awsError('ThrottlingException', 400)),
        'ok',
      );
      const sleep = recordingSleep();

      await expect(withAwsRetry(call, { attempts: 5, baseDelayMs: 100, sleep })).rejects.toThrow();

      expect(sleep.waits).toEqual([100, 200, 400, 800]);
    });

    it('starts the back-off at 200 ms by default', async () => {
      const call = callFailing(
        Array.from({ length: 10 }, () => awsError('ThrottlingException', 400)),
        'ok',
      );
      const sleep = recordingSleep();

      await expect(withAwsRetry(call, { sleep })).rejects.toThrow();

      expect(sleep.waits).toEqual([200, 400]);
    });

    it('rethrows the error of the last attempt', async () => {
      const last = awsError('ServiceUnavailable', 503);
      const call = callFailing(
        [awsError('ThrottlingException', 400), awsError('InternalFailure', 500), last],
        'ok',
      );

      await expect(withAwsRetry(call, { sleep: recordingSleep() })).rejects.toBe(last);
    });

    it('does not retry an error that is not retryable', async () => {
      const denied = awsError('AccessDeniedException', 400);
      const call = callFailing([denied], 'ok');
      const sleep = recordingSleep();

      await expect(withAwsRetry(call, { sleep })).rejects.toBe(denied);

      expect(call.calls).toBe(1);
      expect(sleep.waits).toEqual([]);
    });

    it('stops retrying when a later attempt fails with an error that is not retryable', async () => {
      const denied = awsError('AccessDeniedException', 400);
      const call = callFailing([awsError('ThrottlingException', 400), denied], 'ok');

      await expect(withAwsRetry(call, { attempts: 5, sleep: recordingSleep() })).rejects.toBe(denied);

      expect(call.calls).toBe(2);
    });
  });
});
