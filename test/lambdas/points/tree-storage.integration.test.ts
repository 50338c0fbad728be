import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { RewardMerkleTree } from '../../../lambdas/domain/merkle/reward-tree';
import { S3TreeStorage } from '../../../lambdas/points/tree-storage';
import { startS3, type RunningS3 } from '../../../infra/local/s3';
import { freePort } from '../../helpers/dynamo';

const address = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`;

describe('claim trees in S3 (s3rver)', () => {
  let s3: RunningS3;
  let client: S3Client;
  let storage: S3TreeStorage;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trees-'));
    s3 = await startS3(await freePort(), dir, 'trees');
    client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true });
    storage = new S3TreeStorage(client, s3.buckets.reports);
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a small tree is stored in one object under its epoch and root, and loads with StandardMerkleTree.load', async () => {
    const tree = RewardMerkleTree.fromArrays([address(1), address(2), address(3)], [1n, 2n, 3n]);

    const key = await storage.save(4, tree.root, tree.dumpJson());
    const loaded = StandardMerkleTree.load(await storage.load(key));

    expect(key).toBe(`rewards/epoch-000004/${tree.root}.json`);
    expect(loaded.root).toBe(tree.root);
    expect(loaded.getProof(1)).toEqual(tree.getProof(1));
  });

  test('a tree larger than one part goes up in several parts and comes back identical', async () => {
    const n = 60_000; // ~14 MB of JSON: two parts of at least 8 MiB
    const accounts = Array.from({ length: n }, (_, i) => address(i + 1));
    const tree = RewardMerkleTree.fromArrays(
      accounts,
      accounts.map((_, i) => BigInt(i) * 10n ** 18n),
    );

    const send = jest.spyOn(client, 'send');

    const key = await storage.save(5, tree.root, tree.dumpJson(64 * 1024));
    const dump = await storage.load(key);

    const sent = send.mock.calls.map(([command]) => command.constructor.name);
    expect(sent.filter((name) => name === 'UploadPartCommand')).toHaveLength(2);
    expect(sent).toContain('CompleteMultipartUploadCommand');
    expect(dump).toEqual(tree.dump());
    expect(RewardMerkleTree.load(dump).root).toBe(tree.root);
  });

  test('a document that fails half way fails the save with its own error, aborts the upload and writes no object', async () => {
    const send = jest.spyOn(client, 'send');
    send.mockClear();
    function* failing(): Generator<string> {
      for (let i = 0; i < 10; i++) yield 'x'.repeat(1024 * 1024); // past the first 8 MiB part
      throw new Error('the tree could not be serialised');
    }

    await expect(storage.save(6, `0x${'ab'.repeat(32)}`, failing())).rejects.toThrow(/could not be serialised/);

    const sent = send.mock.calls.map(([command]) => command.constructor.name);
    expect(sent).toContain('CreateMultipartUploadCommand');
    expect(sent).toContain('AbortMultipartUploadCommand');
    expect(sent).not.toContain('CompleteMultipartUploadCommand');
    await expect(storage.load(storage.keyOf(6, `0x${'ab'.repeat(32)}`))).rejects.toThrow();
    send.mockRestore();
  });
});
