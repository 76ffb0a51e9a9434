/**
 * The exact S3 requests of the run store, as they arrive at a local S3-protocol server that
 * checks their signatures, payload hashes and Content-MD5 as S3 does; and where requests go
 * (`s3Target`) for each way an S3 endpoint is named.
 */
import { createHash } from 'node:crypto';
import { parseS3Location, type S3Addressing, s3Target } from '../../../lambda/adapters/store/s3-location.js';
import { S3Objects } from '../../../lambda/adapters/store/s3-objects.js';
import { S3Store } from '../../../lambda/adapters/store/s3-store.js';
import { StoreConflictError } from '../../../lambda/core/run-store.js';
import { FAKE_S3_SECRET, type FakeS3, startFakeS3 } from '../../support/fake-s3.js';

describe('store/s3-store-requests', () => {
  const noWait = { attempts: 3, sleep: async () => {} };

  describe('S3 store requests', () => {
    let s3: FakeS3;
    let client: S3Objects;
    const savedEnv = { ...process.env };

    function clientWith(credentials: {
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken?: string;
    }) {
      return new S3Objects({ endpoint: s3.endpoint, region: 'eu-west-1', credentials });
    }

    beforeEach(async () => {
      s3 = await startFakeS3();
      client = clientWith({ accessKeyId: 'AKIDREQUESTS', secretAccessKey: FAKE_S3_SECRET });
    });

    afterEach(async () => {
      process.env = { ...savedEnv };
      client.destroy();
      await s3.close();
    });

    it('creates a new object with If-None-Match: * and replaces the state with If-Match on its ETag', async () => {
      const store = new S3Store({ s3: client, bucket: 'b', prefix: 'p', retry: noWait });

      await store.write('runs/2026/12/03/r.json', '{"r":1}', null);
      const { version } = await store.read('runs/2026/12/03/r.json');
      await store.write('state/findings.json', '{"s":2}', null);
      const state = await store.read('state/findings.json');
      await store.write('state/findings.json', '{"s":3}', state.version);

      const writes = s3.requests.filter((r) => r.method === 'PUT');
      expect(writes.map((w) => [w.key, w.body, w.headers['if-none-match'], w.headers['if-match']])).toEqual([
        ['p/runs/2026/12/03/r.json', '{"r":1}', '*', undefined],
        ['p/state/findings.json', '{"s":2}', '*', undefined],
        ['p/state/findings.json', '{"s":3}', undefined, state.version],
      ]);
      for (const write of writes) {
        expect(write.headers['content-type']).toBe('application/json');
        // Object Lock buckets refuse a write without an integrity header.
        expect(write.headers['content-md5']).toBe(createHash('md5').update(write.body).digest('base64'));
        expect(write.headers.authorization).toMatch(
          /^AWS4-HMAC-SHA256 Credential=AKIDREQUESTS\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=[^,]*content-md5;content-type;host;if-(none-)?match;/,
        );
      }
      expect(version).toBe(`"${createHash('md5').update('{"r":1}').digest('hex')}"`);
    });

    it('a key with spaces, colons, `..` and non-ASCII letters is signed and stored as written', async () => {
      const store = new S3Store({ s3: client, bucket: 'b', prefix: 'a b/../c', retry: noWait });
      const key = "runs/2026-12-03T01:00:00.000Z_r (1)!'*é&<>.json";

      await store.write(key, '{}', null);

      expect([...s3.objects.keys()]).toEqual([`b/a b/../c/${key}`]);
      expect(await store.list('runs/')).toEqual([key]);
      expect((await store.read(key)).value).toBe('{}');
    });

    it('sends the session token of temporary credentials, signed', async () => {
      client = clientWith({
        accessKeyId: 'ASIATEMP',
        secretAccessKey: FAKE_S3_SECRET,
        sessionToken: 'token-1',
      });
      const store = new S3Store({ s3: client, bucket: 'b', prefix: '', retry: noWait });

      await store.write('state/findings.json', '{}', null);

      expect(s3.requests[0]?.headers['x-amz-security-token']).toBe('token-1');
      expect(s3.requests[0]?.headers.authorization).toContain('x-amz-security-token');
    });

    it('a wrong secret is S3 refusing the signature, named in the store error', async () => {
      client = clientWith({ accessKeyId: 'AKIDREQUESTS', secretAccessKey: 'not-the-secret' });
      const store = new S3Store({ s3: client, bucket: 'b', prefix: '', retry: noWait });

      await expect(store.write('state/findings.json', '{}', null)).rejects.toThrow(
        /^run store s3:\/\/b: cannot write state\/findings.json: SignatureDoesNotMatch: signature does not match$/,
      );
      expect(s3.objects.size).toBe(0);
    });

    it('finds its endpoint, region and credentials where the SDK does: the environment', async () => {
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_REGION: 'ap-southeast-2',
        AWS_ACCESS_KEY_ID: 'AKIDFROMENV',
        AWS_SECRET_ACCESS_KEY: FAKE_S3_SECRET,
      });
      const fromEnvironment = new S3Objects();
      try {
        await new S3Store({ s3: fromEnvironment, bucket: 'b', prefix: '', retry: noWait }).write(
          'k',
          '{}',
          null,
        );
      } finally {
        fromEnvironment.destroy();
      }

      expect(s3.requests[0]?.headers.authorization).toContain('Credential=AKIDFROMENV/');
      expect(s3.requests[0]?.headers.authorization).toContain('/ap-southeast-2/s3/aws4_request');
    });

    it("an error's text from the server is escaped and bounded in the store error: no forged line", async () => {
      s3.failWith = 500;
      s3.failMessage = `broken\nERROR forged line \u001b[31m${'x'.repeat(1000)}`;
      const store = new S3Store({ s3: client, bucket: 'b', prefix: '', retry: { attempts: 1 } });

      const error = await store.read('state/findings.json').catch((caught: Error) => caught);

      expect(error).toBeInstanceOf(Error);
      const { message } = error as Error;
      expect(message).toMatch(
        /^run store s3:\/\/b: cannot read state\/findings.json: InternalError: broken\\nERROR forged line /,
      );
      expect(message).not.toContain('\n');
      expect(message).not.toContain('\u001b');
      expect(message.length).toBeLessThan(500);
    });

    it('a 409 ConditionalRequestConflict is a lost race, like a 412', async () => {
      s3.failWritesWith = 409;
      const store = new S3Store({ s3: client, bucket: 'b', prefix: '', retry: noWait });

      await expect(store.write('state/findings.json', '{}', '"e"')).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      // A lost race is not retried: the caller must read again.
      expect(s3.requests).toHaveLength(1);
    });

    it('S3 slowing down (503 SlowDown) is retried, and the write lands', async () => {
      s3.failWritesWith = 503;
      let sleeps = 0;
      const store = new S3Store({
        s3: client,
        bucket: 'b',
        prefix: '',
        retry: {
          attempts: 3,
          sleep: async () => {
            sleeps++;
            s3.failWritesWith = undefined;
          },
        },
      });

      await store.write('state/findings.json', '{}', null);

      expect(sleeps).toBe(1);
      expect(s3.objects.get('b/state/findings.json')).toBe('{}');
    });

    it('lists with ListObjectsV2, page after page, each page asked with the token of the one before', async () => {
      s3.pageSize = 2;
      const store = new S3Store({ s3: client, bucket: 'b', prefix: 'p', retry: noWait });
      for (const name of ['e', 'c', 'a', 'd', 'b']) await store.write(`runs/${name}.json`, '{}', null);
      await store.write('state/findings.json', '{}', null);
      s3.requests.length = 0;

      expect(await store.list('runs/')).toEqual(['a', 'b', 'c', 'd', 'e'].map((n) => `runs/${n}.json`));
      expect(s3.requests.map((r) => r.query)).toEqual([
        { 'list-type': '2', prefix: 'p/runs/' },
        { 'list-type': '2', prefix: 'p/runs/', 'continuation-token': 'b/p/runs/b.json' },
        { 'list-type': '2', prefix: 'p/runs/', 'continuation-token': 'b/p/runs/d.json' },
      ]);
    });

    it('asks the listing about a read refused 403: a key listed is a refused read, not a missing one', async () => {
      s3.objects.set('b/p/state/findings.json', '{}');
      s3.failWith = 403;
      const store = new S3Store({ s3: client, bucket: 'b', prefix: 'p', retry: noWait });

      await expect(store.read('state/findings.json')).rejects.toThrow(
        /cannot read state\/findings.json: InternalError/,
      );
      s3.failWith = undefined;
      s3.requests.length = 0;
      s3.hideMissing = true;
      await store.write('runs/x.json', '{}', null);

      expect(await store.read('runs/y.json')).toEqual({ value: undefined, version: null });
      expect(s3.requests.slice(1).map((r) => [r.method, r.key, r.query])).toEqual([
        ['GET', 'p/runs/y.json', {}],
        ['GET', '', { 'list-type': '2', prefix: 'p/runs/y.json', 'max-keys': '1' }],
      ]);
    });
  });

  describe('where S3 requests go', () => {
    const aws: S3Addressing = {
      region: 'eu-west-1',
      endpoint: undefined,
      useFips: false,
      useDualstack: false,
    };

    it.each<[string, Partial<S3Addressing>, string, string | undefined, string]>([
      [
        'a bucket is a host name',
        {},
        'evidence',
        'state/x.json',
        'https://evidence.s3.eu-west-1.amazonaws.com/state/x.json',
      ],
      [
        'a listing asks the bucket root',
        {},
        'evidence',
        undefined,
        'https://evidence.s3.eu-west-1.amazonaws.com/',
      ],
      [
        'a dotted bucket goes by path (TLS)',
        {},
        'my.evidence',
        'k',
        'https://s3.eu-west-1.amazonaws.com/my.evidence/k',
      ],
      [
        'China',
        { region: 'cn-north-1' },
        'evidence',
        'k',
        'https://evidence.s3.cn-north-1.amazonaws.com.cn/k',
      ],
      [
        'FIPS',
        { region: 'us-gov-west-1', useFips: true },
        'evidence',
        'k',
        'https://evidence.s3-fips.us-gov-west-1.amazonaws.com/k',
      ],
      [
        'dual-stack',
        { useDualstack: true },
        'evidence',
        'k',
        'https://evidence.s3.dualstack.eu-west-1.amazonaws.com/k',
      ],
      [
        'an endpoint: by path',
        { endpoint: 'http://127.0.0.1:4566' },
        'evidence',
        'k',
        'http://127.0.0.1:4566/evidence/k',
      ],
      [
        'an endpoint with a path',
        { endpoint: 'https://proxy.example/s3/' },
        'evidence',
        undefined,
        'https://proxy.example/s3/evidence',
      ],
      [
        'a key escaped, `..` kept',
        {},
        'evidence',
        "a b/../c:d/é!'()*~.json",
        'https://evidence.s3.eu-west-1.amazonaws.com/a%20b/../c%3Ad/%C3%A9%21%27%28%29%2A~.json',
      ],
    ])('%s', (_, addressing, bucket, key, url) => {
      const target = s3Target(bucket, key, { ...aws, ...addressing });

      expect(
        `${target.protocol}//${target.hostname}${target.port === undefined ? '' : `:${target.port}`}${target.path}`,
      ).toBe(url);
    });

    it.each([
      ['s3://evidence', { bucket: 'evidence', prefix: '' }],
      ['s3://evidence/', { bucket: 'evidence', prefix: '' }],
      ['s3://evidence/prod/guard/', { bucket: 'evidence', prefix: 'prod/guard' }],
      ['./state', undefined],
      ['s3://UPPER/x', undefined],
    ])('parseS3Location(%s)', (location, parsed) => {
      expect(parseS3Location(location)).toEqual(parsed);
    });
  });
});
