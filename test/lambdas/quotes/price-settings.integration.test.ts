import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { bucketPrices, loadPriceSettings, polledPrices, priceSourceFromSettings } from '../../../lambdas/quotes/prices';
import { ConfigError } from '../../../lambdas/shared/errors';
import { startS3, type RunningS3 } from '../../../infra/local/s3';
import { freePort } from '../../helpers/dynamo';

describe('priceSourceFromSettings (the one reference-price factory)', () => {
  it('defaults to the price document in the reports bucket', () => {
    expect(loadPriceSettings({})).toMatchObject({ SSI_PRICE_SOURCE: 'bucket', SSI_PRICE_KEY: 'prices/latest.json' });
    const source = priceSourceFromSettings(loadPriceSettings({}), { BUCKET_REPORTS: 'ssi-reports' });
    expect(source.description).toEqual({ kind: 'bucket', detail: 's3://ssi-reports/prices/latest.json' });
    (source as unknown as { stop(): void }).stop();
    source.ready().catch(() => undefined);
  });

  it('refuses SSI_PRICE_SOURCE=http without SSI_PRICE_URL, naming the setting', () => {
    const call = () => priceSourceFromSettings(loadPriceSettings({ SSI_PRICE_SOURCE: 'http' }));
    expect(call).toThrow(ConfigError);
    expect(call).toThrow('SSI_PRICE_URL is needed with SSI_PRICE_SOURCE=http');
  });

  it('refuses an unknown source kind (the old file and replay kinds included) at cold start: no function reads market files', () => {
    expect(() => loadPriceSettings({ SSI_PRICE_SOURCE: 'file' })).toThrow(/SSI_PRICE_SOURCE/);
    expect(() => loadPriceSettings({ SSI_PRICE_SOURCE: 'replay' })).toThrow(/SSI_PRICE_SOURCE/);
  });

  it('reads again in ready() after a failed first read, one read at a time, and stays ready once read', async () => {
    let reads = 0;
    let failing = true;
    const source = polledPrices('bucket', 'test', async () => {
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (failing) throw new Error('NoSuchKey');
      return { observedOn: '2025-10-24', prices: { BTC: 60000 } };
    }, 60_000);
    await expect(source.ready()).rejects.toThrow('NoSuchKey');
    expect(source.priceOf('BTC')).toBeUndefined();
    failing = false;
    const before = reads;
    await Promise.all([source.ready(), source.ready(), source.ready()]);
    expect(reads).toBe(before + 1);
    expect(source.priceOf('BTC')).toMatchObject({ priceUsd: 60000 });
    failing = true;
    await source.ready();
    expect(reads).toBe(before + 1);
    source.stop();
  });

  it('keeps the last prices when a refresh fails, and says why when the first read fails', async () => {
    let reads = 0;
    const source = polledPrices('http', 'test', async () => {
      reads++;
      if (reads === 1) return { observedOn: '2025-10-24', prices: { BTC: 60000 } };
      throw new Error('provider down');
    }, 5);
    await source.ready();
    await new Promise((resolve) => setTimeout(resolve, 30));
    source.stop();
    expect(reads).toBeGreaterThan(1);
    expect(source.priceOf('BTC')).toMatchObject({ priceUsd: 60000, observedOn: '2025-10-24' });
    const broken = polledPrices('bucket', 'test', async () => ({ prices: 'none' }), 1000);
    await expect(broken.ready()).rejects.toThrow();
    broken.stop();
  });
});

describe('the reports-bucket price document on s3rver', () => {
  let s3: RunningS3;
  let client: S3Client;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssi-prices-'));
    s3 = await startS3(await freePort(), dir, 'prices');
    client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true });
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the document an operator published, with its observation date', async () => {
    await client.send(new PutObjectCommand({ Bucket: s3.buckets.reports, Key: 'prices/latest.json', Body: JSON.stringify({ observedOn: '2025-10-24', prices: { BTC: 61000.5, ETH: 3000 } }) }));
    const source = bucketPrices(s3.buckets.reports, 'prices/latest.json', 60_000, client);
    await source.ready();
    source.stop();
    expect(source.priceOf('BTC')).toEqual({ symbol: 'BTC', priceUsd: 61000.5, source: 'document', observedOn: '2025-10-24', ageDays: 0 });
    expect(source.priceOf('DOGE')).toBeUndefined();
  });

  it('fails ready() with the reason when the document is missing', async () => {
    const source = bucketPrices(s3.buckets.reports, 'prices/none.json', 60_000, client);
    await expect(source.ready()).rejects.toThrow(/key|exist/i);
    source.stop();
  });
});
