import { z } from 'zod';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { isIsoDate, type IsoDate } from '../domain/market/dates';
import type { UniverseSnapshot } from '../domain/methodology';

/*
 * The market snapshots a rebalance compiles its targets from, in the reports bucket: one object per
 * month, `<SSI_UNIVERSE_PREFIX><YYYY-MM-DD>.json` holding a UniverseSnapshot ({date, assets}). An
 * operator's data job writes them (the local stack writes them from the market data at start), so
 * no function reads the repository's market files.
 */

const isoDate = z.string().refine(isIsoDate, 'must be a YYYY-MM-DD date');

export const universeSnapshotSchema = z.object({
  date: isoDate,
  assets: z.array(
    z.object({
      symbol: z.string().min(1),
      name: z.string(),
      marketCapUsd: z.number().nullable(),
      volume24hUsd: z.number().nullable().optional(),
      rank: z.number().nullable().optional(),
    }),
  ),
});

/** Where the snapshot of `date` lives under `prefix`. */
export const universeKey = (prefix: string, date: string): string => `${prefix}${date}.json`;

export class BucketUniverse {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  /** The dates that have a snapshot, oldest first. */
  async dates(): Promise<IsoDate[]> {
    const dates: IsoDate[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
      for (const { Key } of page.Contents ?? []) {
        const date = Key?.slice(this.prefix.length).replace(/\.json$/, '');
        if (date && Key === universeKey(this.prefix, date) && isIsoDate(date)) dates.push(date as IsoDate);
      }
      token = page.NextContinuationToken;
    } while (token);
    return dates.sort();
  }

  /** The latest snapshot on or before `date` (the first one when `date` precedes them all). */
  async snapshotOnOrBefore(date: string): Promise<UniverseSnapshot> {
    const dates = await this.dates();
    if (!dates.length) throw new Error(`no universe snapshot under s3://${this.bucket}/${this.prefix}`);
    const chosen = [...dates].reverse().find((d) => d <= date) ?? dates[0]!;
    const key = universeKey(this.prefix, chosen);
    const reply = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const parsed = universeSnapshotSchema.safeParse(JSON.parse((await reply.Body?.transformToString('utf8')) ?? 'null'));
    if (!parsed.success) throw new Error(`s3://${this.bucket}/${key} is not a universe snapshot: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data as UniverseSnapshot;
  }
}
