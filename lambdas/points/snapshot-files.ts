import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SnapshotFiles } from './snapshot';

/** Snapshot working files in the `points-work` bucket (objects expire after the bucket's declared days). */
export class S3SnapshotFiles implements SnapshotFiles {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {}

  async put(key: string, body: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }));
  }

  async get(key: string): Promise<string> {
    try {
      const reply = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!reply.Body) throw new Error(`empty snapshot file ${key}`);
      return await reply.Body.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey) throw new Error(`no snapshot file ${key}: the run's earlier step has not written it`);
      throw error;
    }
  }
}
