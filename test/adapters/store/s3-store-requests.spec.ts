/** The exact S3 requests of the run store (aws-sdk-client-mock replaces every S3Client in this file). */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { S3Store } from '../../../lambda/adapters/store/s3-store.js';
import { StoreConflictError } from '../../../lambda/core/run-store.js';

describe('store/s3-store-requests', () => {
  const noWait = { attempts: 3, sleep: async () => {} };

  describe('S3 store requests', () => {
    // Mocked for this room's tests only: its Jest file's other rooms keep the real client.
    let mock: AwsClientStub<S3Client>;
    beforeAll(() => {
      mock = mockClient(S3Client);
    });
    afterAll(() => mock.restore());

    beforeEach(() => mock.reset());

    it('creates a new object with If-None-Match: * and replaces the state with If-Match on its ETag', async () => {
      mock.on(PutObjectCommand).resolves({});
      const store = new S3Store({ s3: new S3Client({}), bucket: 'b', prefix: 'p', retry: noWait });

      await store.write('runs/2026/12/03/r.json', '{"r":1}', null);
      await store.write('state/findings.json', '{"s":2}', '"etag-1"');

      expect(mock).toHaveReceivedCommandWith(PutObjectCommand, {
        Bucket: 'b',
        Key: 'p/runs/2026/12/03/r.json',
        Body: '{"r":1}',
        ContentType: 'application/json',
        IfNoneMatch: '*',
      });
      expect(mock).toHaveReceivedCommandWith(PutObjectCommand, {
        Bucket: 'b',
        Key: 'p/state/findings.json',
        IfMatch: '"etag-1"',
      });
    });

    it('a 409 ConditionalRequestConflict is a lost race, like a 412', async () => {
      mock.on(PutObjectCommand).rejects(
        Object.assign(new Error('conflict'), {
          name: 'ConditionalRequestConflict',
          $metadata: { httpStatusCode: 409 },
        }),
      );
      const store = new S3Store({ s3: new S3Client({}), bucket: 'b', prefix: '', retry: noWait });

      await expect(store.write('state/findings.json', '{}', '"e"')).rejects.toBeInstanceOf(
        StoreConflictError,
      );
    });

    it('reads with GetObject and lists with ListObjectsV2, page after page', async () => {
      mock
        .on(GetObjectCommand)
        .rejects(Object.assign(new Error('no'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
      mock
        .on(ListObjectsV2Command, { Bucket: 'b', Prefix: 'p/runs/' })
        .resolvesOnce({
          Contents: [{ Key: 'p/runs/b.json' }],
          IsTruncated: true,
          NextContinuationToken: 't1',
        })
        .resolvesOnce({ Contents: [{ Key: 'p/runs/a.json' }], IsTruncated: false });
      const store = new S3Store({ s3: new S3Client({}), bucket: 'b', prefix: 'p', retry: noWait });

      expect(await store.read('state/findings.json')).toEqual({ value: undefined, version: null });
      expect(await store.list('runs/')).toEqual(['runs/a.json', 'runs/b.json']);
      expect(mock).toHaveReceivedCommandWith(ListObjectsV2Command, { ContinuationToken: 't1' });
    });

    it('asks the listing about a read refused 403: a key listed is a refused read, not a missing one', async () => {
      const denied = Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
      mock.on(GetObjectCommand).rejects(denied);
      mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'p/state/findings.json' }] });
      const store = new S3Store({ s3: new S3Client({}), bucket: 'b', prefix: 'p', retry: noWait });

      await expect(store.read('state/findings.json')).rejects.toThrow(
        /cannot read state\/findings.json: AccessDenied/,
      );
      expect(mock).toHaveReceivedCommandWith(ListObjectsV2Command, {
        Bucket: 'b',
        Prefix: 'p/state/findings.json',
        MaxKeys: 1,
      });
    });
  });
});
