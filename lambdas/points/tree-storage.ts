import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { StandardTreeDump } from '../domain/merkle/reward-tree';
import type { TreeStorage } from './epoch-close';

/** S3 parts are at least 5 MiB except the last; 8 MiB keeps a million-leaf tree to ~30 parts. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Claim trees in S3 (the `reports` bucket): `rewards/epoch-<000042>/<root>.json`, the
 * `standard-v1` document StandardMerkleTree.load reads. The JSON is streamed from the tree into
 * lib-storage's Upload (one PutObject when it fits a part, else a multipart upload it aborts on
 * failure), so a million-leaf document (~250 MB) is never one string. The key names the
 * root, so the same epoch and root always write the same bytes to the same key.
 */
export class S3TreeStorage implements TreeStorage {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix = 'rewards',
  ) {}

  keyOf(epoch: number, root: string): string {
    return `${this.prefix}/epoch-${String(epoch).padStart(6, '0')}/${root}.json`;
  }

  async save(epoch: number, root: string, json: Iterable<string>): Promise<string> {
    const Key = this.keyOf(epoch, root);
    let sourceFailure: unknown;
    const body = Readable.from((function* () {
      try {
        for (const chunk of json) yield Buffer.from(chunk, 'utf8');
      } catch (error) {
        sourceFailure = error;
        throw error;
      }
    })());
    // Two parts in flight: the next part is serialised while one uploads, and memory stays at a few parts.
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key, Body: body, ContentType: 'application/json' },
      partSize: PART_BYTES,
      queueSize: 2,
    });
    try {
      await upload.done();
    } catch (error) {
      // When the document itself failed, say so, not what the clean-up (abort) may have answered.
      throw sourceFailure ?? error;
    }
    return Key;
  }

  async load(key: string): Promise<StandardTreeDump> {
    const reply = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!reply.Body) throw new Error(`empty object ${key}`);
    return JSON.parse(await reply.Body.transformToString('utf8')) as StandardTreeDump;
  }
}
