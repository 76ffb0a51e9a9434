import {
  GetParameterCommand,
  type GetParameterCommandOutput,
  InternalServerError,
  InvalidKeyId,
  ParameterNotFound,
  type ParameterType,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AdminKeyLoader, type AdminKeyLoaderOptions } from '../../lambda/adapters/ssm-admin-key.js';
import { CheckpointGuardError } from '../../lambda/core/errors.js';

/** A fake key distinctive enough that finding it in an error message cannot be a coincidence. */

describe('ssm-admin-key', () => {
  const FAKE_KEY = 'sk-admin-FAKE-ssm-test-9q8w7e6r5t4y3u2i1o0p';
  const PARAMETER = '/checkpoint-guard/openai-admin-key';
  const MAX_AGE_MS = 300_000;

  // Mocked for this room's tests only: its Jest file's other rooms keep the real client.
  let ssm: AwsClientStub<SSMClient>;
  beforeAll(() => {
    ssm = mockClient(SSMClient);
  });
  afterAll(() => ssm.restore());

  /** A `GetParameter` answer holding `value`. */
  function parameter(value: string, type: ParameterType = 'SecureString'): GetParameterCommandOutput {
    return { Parameter: { Name: PARAMETER, Type: type, Value: value }, $metadata: {} };
  }

  /** An error shaped like the ones the AWS SDK v3 throws for a service exception it has no class for. */
  function awsError(name: string, message: string, httpStatusCode = 400): Error {
    const error = new Error(message);
    error.name = name;
    return Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode } });
  }

  /** A loader on a mocked client whose clock the test moves, and whose retries do not wait. */
  function loaderAt(clock: { now: number }, options: Partial<AdminKeyLoaderOptions> = {}): AdminKeyLoader {
    return new AdminKeyLoader({
      ssm: new SSMClient({ region: 'eu-west-1' }),
      parameterName: PARAMETER,
      maxAgeMs: MAX_AGE_MS,
      now: () => clock.now,
      retry: { sleep: async () => {} },
      ...options,
    });
  }

  function loader(options: Partial<AdminKeyLoaderOptions> = {}): AdminKeyLoader {
    return loaderAt({ now: 0 }, options);
  }

  /** The error `promise` rejects with, failing the test if it resolves or throws something else. */
  async function failureOf(promise: Promise<unknown>): Promise<CheckpointGuardError> {
    const error = await promise.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    if (!(error instanceof CheckpointGuardError))
      throw new Error(`expected a CheckpointGuardError, got ${error}`);
    return error;
  }

  beforeEach(() => {
    ssm.reset();
  });

  describe('reading the key', () => {
    it('asks for the parameter by name, with decryption', async () => {
      ssm.on(GetParameterCommand).resolves(parameter(FAKE_KEY));

      await loader().get();

      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
      expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
        Name: PARAMETER,
        WithDecryption: true,
      });
    });

    it('returns the value and the parameter type', async () => {
      ssm.on(GetParameterCommand).resolves(parameter(FAKE_KEY));

      const key = await loader().get();

      expect(key).toEqual({ value: FAKE_KEY, parameterType: 'SecureString' });
    });

    it('trims whitespace around the value', async () => {
      ssm.on(GetParameterCommand).resolves(parameter(`\n  ${FAKE_KEY} \n`));

      const key = await loader().get();

      expect(key.value).toBe(FAKE_KEY);
    });

    it('reports the type of a parameter that is not a SecureString', async () => {
      ssm.on(GetParameterCommand).resolves(parameter(FAKE_KEY, 'String'));

      const key = await loader().get();

      expect(key.parameterType).toBe('String');
    });

    it('retries a throttled read and returns the key', async () => {
      ssm
        .on(GetParameterCommand)
        .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
        .resolves(parameter(FAKE_KEY));

      const key = await loader().get();

      expect(key.value).toBe(FAKE_KEY);
      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
    });
  });

  describe('the cache', () => {
    it('a second read within maxAge uses the cached key', async () => {
      ssm.on(GetParameterCommand).resolves(parameter(FAKE_KEY));
      const clock = { now: 1_000 };
      const keys = loaderAt(clock);
      await keys.get();
      clock.now += MAX_AGE_MS - 1;

      const key = await keys.get();

      expect(key.value).toBe(FAKE_KEY);
      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    });

    it('a read once maxAge has passed fetches the key again', async () => {
      ssm
        .on(GetParameterCommand)
        .resolvesOnce(parameter(FAKE_KEY))
        .resolves(parameter(`${FAKE_KEY}-rotated`));
      const clock = { now: 1_000 };
      const keys = loaderAt(clock);
      await keys.get();
      clock.now += MAX_AGE_MS;

      const key = await keys.get();

      expect(key.value).toBe(`${FAKE_KEY}-rotated`);
      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
    });

    it('forget() makes the next read fetch the key again', async () => {
      ssm.on(GetParameterCommand).resolves(parameter(FAKE_KEY));
      const keys = loader();
      await keys.get();

      keys.forget();
      await keys.get();

      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
    });

    it('a failed read is not cached: the next read asks again', async () => {
      ssm
        .on(GetParameterCommand)
        .rejectsOnce(awsError('AccessDeniedException', 'not authorized to perform: ssm:GetParameter'))
        .resolves(parameter(FAKE_KEY));
      const keys = loader();
      await failureOf(keys.get());

      const key = await keys.get();

      expect(key.value).toBe(FAKE_KEY);
      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
    });
  });

  describe('failures', () => {
    it.each(['', '   ', '\n\t '])(
      'an empty value (%j) is ERR_SSM_EMPTY_VALUE naming the parameter',
      async (value) => {
        ssm.on(GetParameterCommand).resolves(parameter(value));

        const error = await failureOf(loader().get());

        expect(error.code).toBe('ERR_SSM_EMPTY_VALUE');
        expect(error.message).toContain(PARAMETER);
      },
    );

    it('a parameter without a value is ERR_SSM_EMPTY_VALUE', async () => {
      ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Type: 'SecureString' } });

      const error = await failureOf(loader().get());

      expect(error.code).toBe('ERR_SSM_EMPTY_VALUE');
    });

    it('a missing parameter is ERR_SSM_PARAMETER_NOT_FOUND, naming it and how to create it', async () => {
      ssm
        .on(GetParameterCommand)
        .rejects(new ParameterNotFound({ message: '', $metadata: { httpStatusCode: 400 } }));

      const error = await failureOf(loader().get());

      expect(error.code).toBe('ERR_SSM_PARAMETER_NOT_FOUND');
      expect(error.message).toContain(PARAMETER);
      expect(error.message).toContain(`aws ssm put-parameter --type SecureString --name ${PARAMETER}`);
    });

    it('a denied read is ERR_SSM_ACCESS_DENIED, naming the parameter and the permission', async () => {
      ssm
        .on(GetParameterCommand)
        .rejects(
          awsError(
            'AccessDeniedException',
            'User: arn:aws:sts::123456789012:assumed-role/guard/fn is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:eu-west-1:123456789012:parameter/checkpoint-guard/openai-admin-key',
          ),
        );

      const error = await failureOf(loader().get());

      expect(error.code).toBe('ERR_SSM_ACCESS_DENIED');
      expect(error.message).toContain(PARAMETER);
      expect(error.message).toContain('ssm:GetParameter');
    });

    it.each([
      {
        what: 'an invalid KMS key (InvalidKeyId)',
        error: new InvalidKeyId({ message: 'Invalid key id', $metadata: { httpStatusCode: 400 } }),
      },
      {
        what: 'a KMS access denial mentioning KMS',
        error: awsError(
          'AccessDeniedException',
          'User: arn:aws:sts::123456789012:assumed-role/guard/fn is not authorized to perform: kms:Decrypt (Service: AWSKMS; Status Code: 400)',
        ),
      },
      {
        what: 'a KMS access denial mentioning the ciphertext',
        error: awsError(
          'AccessDeniedException',
          'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
        ),
      },
    ])('$what is ERR_SSM_KMS, pointing at kms:Decrypt', async ({ error: awsFailure }) => {
      ssm.on(GetParameterCommand).rejects(awsFailure);

      const error = await failureOf(loader().get());

      expect(error.code).toBe('ERR_SSM_KMS');
      expect(error.message).toContain(PARAMETER);
      expect(error.message).toContain('kms:Decrypt');
    });

    it('a denied read of a parameter whose name mentions KMS is still ERR_SSM_ACCESS_DENIED', async () => {
      const name = '/app/kms-protected/openai-admin-key';
      ssm
        .on(GetParameterCommand)
        .rejects(
          awsError(
            'AccessDeniedException',
            `User: arn:aws:sts::123456789012:assumed-role/guard/fn is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:eu-west-1:123456789012:parameter${name}`,
          ),
        );

      const error = await failureOf(loader({ parameterName: name }).get());

      expect(error.code).toBe('ERR_SSM_ACCESS_DENIED');
    });

    it('any other failure is ERR_SSM with the AWS error name', async () => {
      ssm
        .on(GetParameterCommand)
        .rejects(awsError('ValidationException', 'parameter name is not valid', 400));

      const error = await failureOf(loader().get());

      expect(error.code).toBe('ERR_SSM');
      expect(error.message).toContain(PARAMETER);
      expect(error.message).toContain('ValidationException');
    });

    it('a throttled read that never succeeds is ERR_SSM after every attempt', async () => {
      ssm.on(GetParameterCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

      const error = await failureOf(loader({ retry: { attempts: 3, sleep: async () => {} } }).get());

      expect(error.code).toBe('ERR_SSM');
      expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 3);
    });
  });

  describe('the key never appears in an error', () => {
    it.each([
      {
        what: 'a denied read',
        failure: awsError('AccessDeniedException', 'not authorized to perform: ssm:GetParameter'),
      },
      { what: 'a KMS failure', failure: awsError('AccessDeniedException', 'kms:Decrypt denied') },
      {
        what: 'a missing parameter',
        failure: new ParameterNotFound({ message: '', $metadata: { httpStatusCode: 400 } }),
      },
      {
        what: 'a server error',
        failure: new InternalServerError({ message: 'internal error', $metadata: { httpStatusCode: 500 } }),
      },
    ])('$what after the key was read once', async ({ failure }) => {
      ssm.on(GetParameterCommand).resolvesOnce(parameter(FAKE_KEY)).rejects(failure);
      const clock = { now: 0 };
      const keys = loaderAt(clock);
      await keys.get();
      clock.now += MAX_AGE_MS;

      const error = await failureOf(keys.get());

      const printed = [
        error.message,
        String(error),
        error.stack ?? '',
        JSON.stringify(error),
        String(error.cause),
      ];
      for (const text of printed) expect(text).not.toContain(FAKE_KEY);
    });
  });
});
