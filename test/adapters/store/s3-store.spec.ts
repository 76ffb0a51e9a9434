import { S3Objects } from '../../../lambda/adapters/store/s3-objects.js';
import { S3Store } from '../../../lambda/adapters/store/s3-store.js';
import { FAKE_S3_SECRET, type FakeS3, startFakeS3 } from '../../support/fake-s3.js';
import { runStoreContract } from './run-store-contract.js';

describe('store/s3-store', () => {
  const noWait = { attempts: 3, sleep: async () => {} };

  function clientFor(endpoint: string): S3Objects {
    return new S3Objects({
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDSTORE', secretAccessKey: FAKE_S3_SECRET },
    });
  }

  runStoreContract('S3 (a local S3-protocol server)', async () => {
    const s3 = await startFakeS3();
    const client = clientFor(s3.endpoint);
    return {
      store: new S3Store({ s3: client, bucket: 'evidence', prefix: 'checkpoint-guard', retry: noWait }),
      close: async () => {
        client.destroy();
        await s3.close();
      },
    };
  });

  describe('S3 store', () => {
    let s3: FakeS3;
    let client: S3Objects;

    beforeEach(async () => {
      s3 = await startFakeS3();
      client = clientFor(s3.endpoint);
    });

    afterEach(async () => {
      client.destroy();
      await s3.close();
    });

    it('keeps every object under its prefix', async () => {
      const store = new S3Store({ s3: client, bucket: 'evidence', prefix: 'prod/guard', retry: noWait });

      await store.write('state/findings.json', '{}', null);

      expect([...s3.objects.keys()]).toEqual(['evidence/prod/guard/state/findings.json']);
      expect(await store.list('state/')).toEqual(['state/findings.json']);
      expect(store.location).toBe('s3://evidence/prod/guard');
    });

    it('an unreachable or failing bucket is a store error that names the location', async () => {
      s3.failWith = 500;
      const store = new S3Store({ s3: client, bucket: 'evidence', prefix: '', retry: noWait });

      await expect(store.read('state/findings.json')).rejects.toThrow(
        /^run store s3:\/\/evidence: cannot read state\/findings.json: /,
      );
      expect(s3.requests).toHaveLength(3);
    });

    it("a missing object behind S3's 403 (the caller may not list that key) reads as nothing, once the listing agrees", async () => {
      s3.hideMissing = true;
      const store = new S3Store({ s3: client, bucket: 'evidence', prefix: 'guard', retry: noWait });

      expect(await store.read('state/findings.json')).toEqual({ value: undefined, version: null });
      expect(s3.requests.map((r) => `${r.method} ${r.key}`)).toEqual([
        'GET guard/state/findings.json',
        'GET ',
      ]);
    });

    it('a 403 on an object that exists is a store error, never an empty store', async () => {
      s3.objects.set('evidence/state/findings.json', '{}');
      s3.failWith = 403;
      const store = new S3Store({ s3: client, bucket: 'evidence', prefix: '', retry: noWait });

      await expect(store.read('state/findings.json')).rejects.toThrow(/cannot read state\/findings.json/);
    });
  });
});
