import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';
import { BUCKETS, type BucketName } from '../topology';
import { ensurePortFree } from './net';

export interface RunningS3 {
  endpoint: string;
  buckets: Record<BucketName, string>;
  stop(): Promise<void>;
}

export const localBucketName = (bucket: BucketName, prefix = 'ssi'): string => `${prefix}-${bucket}`;

/** s3rver on 127.0.0.1 with its objects in `dataDir` and the declared buckets created. */
export async function startS3(port: number, dataDir: string, prefix = 'ssi'): Promise<RunningS3> {
  await ensurePortFree(port, 's3rver');
  mkdirSync(dataDir, { recursive: true });
  const buckets = Object.fromEntries(BUCKETS.map((b) => [b.name, localBucketName(b.name, prefix)])) as Record<BucketName, string>;
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    directory: dataDir,
    silent: true,
    configureBuckets: Object.values(buckets).map((name) => ({ name, configs: [] })),
  });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    buckets,
    stop: () => server.close(),
  };
}
