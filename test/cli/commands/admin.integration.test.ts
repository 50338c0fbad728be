import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { startTestDynamo, type TestDynamo } from '../../helpers/dynamo';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableEnv } from '../../../topology';
import { PmmRegistry, cachedPmms } from '../../../lambdas/quotes/pmm-registry';
import { localCredentials, LOCAL_REGION } from '../../../infra/local/credentials';

const ROOT = path.resolve(__dirname, '../../..');

describe('ssi admin against the local stack (DynamoDB Local)', () => {
  let dynamo: TestDynamo;
  let dataDir: string;
  const ssi = (args: string[]) => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'bin/ssi.js'), 'admin', ...args, '--data', dataDir, '--json'], { cwd: ROOT, encoding: 'utf8', env: process.env, timeout: 60_000 });
    return { status: run.status, out: run.stdout ? JSON.parse(run.stdout) : undefined, stderr: run.stderr };
  };

  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startTestDynamo('admin');
    client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: localCredentials });
    dataDir = mkdtempSync(path.join(tmpdir(), 'ssi-admin-'));
    writeFileSync(path.join(dataDir, 'stack.json'), JSON.stringify({ dataDir, dynamodb: dynamo.endpoint, tables: dynamo.tables }));
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A fresh container of the real authorizer (no cached answers), on this DynamoDB Local. */
  const authorizeWith = async (key: string) => {
    const env = { ...process.env, [tableEnv('wlp-keys')]: dynamo.tables['wlp-keys'], AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
    const saved = process.env;
    process.env = env;
    try {
      let handler!: (event: unknown, context: unknown) => Promise<{ isAuthorized: boolean }>;
      jest.isolateModules(() => ({ handler } = require('../../../lambdas/handlers/wlp-authorizer')));
      return await handler({ identitySource: [key], routeArn: 'arn:route' }, { functionName: 'wlp-authorizer', awsRequestId: 'r' });
    } finally {
      process.env = saved;
    }
  };

  test('the PMM life cycle: add, list, re-add with a new URL, disable (then no longer asked for quotes); bad input refused with a reason', async () => {
    const maker = Wallet.createRandom().address;
    expect(ssi(['pmm', 'add', '--maker', maker.toLowerCase(), '--name', 'pmm-a', '--rfq-url', 'http://127.0.0.1:9/rfq'])).toMatchObject({ status: 0, out: { ok: true, pmm: { maker, enabled: true } } });
    expect(ssi(['pmm', 'add', '--maker', maker, '--name', 'pmm-a', '--rfq-url', 'http://127.0.0.1:9/v2/rfq', '--batch-url', 'http://127.0.0.1:9/v2/batch']).status).toBe(0);
    expect(ssi(['pmm', 'list']).out.pmms).toEqual([expect.objectContaining({ maker, rfqUrl: 'http://127.0.0.1:9/v2/rfq', batchUrl: 'http://127.0.0.1:9/v2/batch', enabled: true })]);
    // What the quote API and the rebalance ask (cachedPmms over the same table): the PMM while enabled, not once disabled.
    const asked = () => cachedPmms(new PmmRegistry(DynamoDBDocumentClient.from(client), dynamo.tables.pmms), 0)();
    expect(await asked()).toEqual([{ name: 'pmm-a', maker, url: 'http://127.0.0.1:9/v2/rfq', batchUrl: 'http://127.0.0.1:9/v2/batch' }]);
    expect(ssi(['pmm', 'disable', '--maker', maker])).toMatchObject({ status: 0, out: { pmm: { maker, enabled: false } } });
    expect(ssi(['pmm', 'list']).out.pmms[0].enabled).toBe(false);
    expect(await asked()).toEqual([]);

    expect(ssi(['pmm', 'disable', '--maker', Wallet.createRandom().address])).toMatchObject({ status: 1, out: { ok: false, error: expect.stringMatching(/is registered/) } });
    expect(ssi(['pmm', 'add', '--maker', '0x1234', '--name', 'x', '--rfq-url', 'http://a/']).out.error).toMatch(/--maker is not an address/);
    expect(ssi(['pmm', 'add', '--maker', maker, '--name', 'x', '--rfq-url', 'file:///etc/passwd']).out.error).toMatch(/--rfq-url is not an http\(s\) URL/);
  }, 300_000);

  test('the WLP key life cycle: create prints the key once, list shows ids only, rotate and revoke; the authorizer refuses a revoked key', async () => {
    const wlp = Wallet.createRandom().address;
    const created = ssi(['wlp', 'create', '--wlp', wlp, '--name', 'acme', '--rate-limit', '7']);
    expect(created).toMatchObject({ status: 0, out: { ok: true, apiKey: expect.stringMatching(/^ssi_/), key: { wlp, name: 'acme', rateLimit: 7, enabled: true } } });
    const listed = ssi(['wlp', 'list']).out.keys;
    expect(listed).toEqual([expect.objectContaining({ keyId: created.out.key.keyId, enabled: true })]);
    expect(JSON.stringify(listed)).not.toContain(created.out.apiKey);

    expect(await authorizeWith(created.out.apiKey)).toMatchObject({ isAuthorized: true, context: { wlp, rateLimit: 7 } });

    const rotated = ssi(['wlp', 'rotate-key', '--wlp', wlp]);
    expect(rotated).toMatchObject({ status: 0, out: { revoked: [created.out.key.keyId], key: { name: 'acme', rateLimit: 7 } } });
    expect(await authorizeWith(created.out.apiKey)).toMatchObject({ isAuthorized: false });
    expect(await authorizeWith(rotated.out.apiKey)).toMatchObject({ isAuthorized: true });

    expect(ssi(['wlp', 'revoke', '--key-id', rotated.out.key.keyId])).toMatchObject({ status: 0, out: { revoked: [expect.objectContaining({ keyId: rotated.out.key.keyId, enabled: false })] } });
    expect(await authorizeWith(rotated.out.apiKey)).toMatchObject({ isAuthorized: false });
    expect(ssi(['wlp', 'revoke', '--wlp', wlp]).out.error).toMatch(/no enabled key matches/);
    expect(ssi(['wlp', 'revoke']).out.error).toMatch(/exactly one of --key-id and --wlp/);
    expect(ssi(['wlp', 'rotate-key', '--wlp', wlp])).toMatchObject({ status: 1, out: { error: expect.stringMatching(/has no enabled key to rotate/) } });
  }, 300_000);

  test('revoke --wlp turns off every key of that WLP and no other WLP\'s', async () => {
    const other = Wallet.createRandom().address;
    const [first, second] = [ssi(['wlp', 'create', '--wlp', other, '--name', 'beta']), ssi(['wlp', 'create', '--wlp', other, '--name', 'beta'])];
    const bystander = ssi(['wlp', 'create', '--wlp', Wallet.createRandom().address, '--name', 'gamma']);
    expect(ssi(['wlp', 'revoke', '--wlp', other]).out.revoked.map((k: { keyId: string }) => k.keyId).sort()).toEqual([first.out.key.keyId, second.out.key.keyId].sort());
    expect(await authorizeWith(first.out.apiKey)).toMatchObject({ isAuthorized: false });
    expect(await authorizeWith(second.out.apiKey)).toMatchObject({ isAuthorized: false });
    expect(await authorizeWith(bystander.out.apiKey)).toMatchObject({ isAuthorized: true });
    expect(ssi(['wlp', 'list']).out.keys.filter((k: { enabled: boolean }) => k.enabled).map((k: { keyId: string }) => k.keyId)).toEqual([bystander.out.key.keyId]);
  }, 300_000);

  test('a stage without the tables says so', () => {
    const missing = spawnSync(process.execPath, [path.join(ROOT, 'bin/ssi.js'), 'admin', 'pmm', 'list', '--data', path.join(dataDir, 'nowhere'), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stdout).error).toMatch(/no local stack found/);
  });
});
