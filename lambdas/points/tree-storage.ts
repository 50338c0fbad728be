import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { StandardTreeDump } from '../domain/merkle/reward-tree';
import type { TreeStorage } from './epoch-close';

/** S3 parts are at least 5 MiB except the last; 8 MiB keeps a million-leaf tree to ~30 parts. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Claim trees in S3 (the `reports` bucket): `rewards/epoch-<000042>/<root>.json`, the
 * `standard-v1` document StandardMerkleTree.load reads. The JSON is streamed from the tree in
 * multipart chunks, so a million-leaf document (~250 MB) is never one string. The key names the
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
    const common = { Bucket: this.bucket, Key };
    const parts = partsOf(json);
    const first = parts.next();
    const second = first.done ? first : parts.next();
    if (second.done) {
      await this.s3.send(new PutObjectCommand({ ...common, Body: first.done ? Buffer.alloc(0) : first.value, ContentType: 'application/json' }));
      return Key;
    }
    const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand({ ...common, ContentType: 'application/json' }));
    try {
      const uploaded: Array<{ ETag?: string; PartNumber: number }> = [];
      const upload = async (Body: Buffer) => {
        const PartNumber = uploaded.length + 1;
        const { ETag } = await this.s3.send(new UploadPartCommand({ ...common, UploadId, PartNumber, Body }));
        uploaded.push({ ETag, PartNumber });
      };
      await upload(first.value);
      await upload(second.value);
      for (const body of parts) await upload(body);
      await this.s3.send(new CompleteMultipartUploadCommand({ ...common, UploadId, MultipartUpload: { Parts: uploaded } }));
    } catch (error) {
      await this.s3.send(new AbortMultipartUploadCommand({ ...common, UploadId })).catch(() => undefined);
      throw error;
    }
    return Key;
  }

  async load(key: string): Promise<StandardTreeDump> {
    const reply = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!reply.Body) throw new Error(`empty object ${key}`);
    return JSON.parse(await reply.Body.transformToString('utf8')) as StandardTreeDump;
  }
}

/** Groups string chunks into UTF-8 buffers of at least PART_BYTES (the last may be smaller). */
function* partsOf(chunks: Iterable<string>): Generator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for (const chunk of chunks) {
    const bytes = Buffer.from(chunk, 'utf8');
    pending.push(bytes);
    size += bytes.length;
    if (size >= PART_BYTES) {
      yield Buffer.concat(pending);
      pending = [];
      size = 0;
    }
  }
  if (size > 0 || pending.length) yield Buffer.concat(pending);
}
