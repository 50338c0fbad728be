import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestStack } from '../../helpers/stack';

describe('the local stack started in a test process', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  beforeAll(async () => {
    stack = await startTestStack();
  }, 240_000);
  afterAll(() => stack?.stop());

  test('serves the declared routes through the API Gateway adapter and reports health', async () => {
    const health = await stack.health();
    expect(health.ok).toBe(true);
    const protocol = await stack.api('/v1/protocol');
    expect(protocol.status).toBe(200);
    expect(((await protocol.json()) as { signers: { operator: string } }).signers.operator).toBe(stack.file.keys.operator.address);
  });

  test('keeps DynamoDB Local tables in SQLite files in the data folder by default', () => {
    expect(readdirSync(join(stack.file.dataDir, 'dynamodb')).some((name) => name.endsWith('.db'))).toBe(true);
  });

  test('stack.json holds the WLP key with mode 0644: it is written readable by its owner only (issue 19 item 15)', () => {
    expect(statSync(stack.stackFilePath).mode & 0o777).toBe(0o600);
  });

  test('_local routes accept requests from any web page: the stack refuses a cross-site one (issue 19 item 15)', async () => {
    const refused = await stack.api(`/_local/schedules`, { headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/cross-origin/);
    expect((await stack.api(`/_local/schedules`)).status).toBe(200);
  });

  test('fires a declared schedule into its handler as an EventBridge scheduled event', async () => {
    const state = await stack.scheduler.run('heartbeat');
    expect(state.lastRun).toMatchObject({ ok: true });
    expect(state.runs).toBe(1);
  });
});
