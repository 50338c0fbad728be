import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { Wallet, hexlify, randomBytes } from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { DEFAULT_POINTS_CONFIG, EpochCalendar, referralMessage, settleEpoch, type DayPointsRow, type ReferralRequest } from '../../../lambdas/domain/points';
import { PointsStore } from '../../../lambdas/points/store';
import { listEpochs, registerReferral, type ReferralDeps } from '../../../lambdas/points/api';
import { startTestDynamo, type TestDynamo } from '../../helpers/dynamo';

const context = { awsRequestId: 'r', functionName: 'points-api', getRemainingTimeInMillis: () => 1000 } as unknown as Context;
const CHAIN_ID = 31337;
const A = '0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = '0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const MAG7 = '0x7777777777777777777777777777777777777777';

function row(address: string, day: string, total: bigint): DayPointsRow {
  return { address, day, epoch: 1, base: total, boost: 1_200_000n, own: total, referral: 0n, total };
}

describe('points API on DynamoDB Local', () => {
  let dynamo: TestDynamo;
  let store: PointsStore;
  let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

  async function call(routeKey: string, pathParameters?: Record<string, string>, options: { query?: Record<string, string>; body?: unknown } = {}) {
    const event = {
      version: '2.0',
      routeKey,
      rawPath: '/',
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      requestContext: {},
      isBase64Encoded: false,
      pathParameters,
      queryStringParameters: options.query,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    } as unknown as APIGatewayProxyEventV2;
    const reply = (await handler(event, context)) as { statusCode: number; body: string };
    return { status: reply.statusCode, json: JSON.parse(reply.body) };
  }

  const savedEnv = { ...process.env };

  beforeAll(async () => {
    dynamo = await startTestDynamo('api');
    store = new PointsStore(dynamo.client, dynamo.tables.points);
    Object.assign(process.env, {
      TABLE_POINTS: dynamo.tables.points,
      SSI_CHAIN_ID: String(CHAIN_ID),
      // No contracts: the chain is never asked (claimed and claimable answer null); the local-stack test covers them.
      SSI_RPC_URL: 'http://127.0.0.1:9',
      // No price is needed by these routes (the portfolio's are covered on the local stack): a feed that is not there.
      SSI_PRICE_SOURCE: 'http',
      SSI_PRICE_URL: 'http://127.0.0.1:9/prices',
      SSI_DEPLOYMENT: JSON.stringify({ network: 'none', chainId: CHAIN_ID, contracts: {}, tokens: {}, indexes: { 'MAG7.ssi': MAG7 } }),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    ({ handler } = await import('../../../lambdas/handlers/points-api'));
    await store.applyDay([row(A, '2025-01-06', 3_000_000n), row(B, '2025-01-06', 9_500_000n)]);
    await store.applyDay([row(A, '2025-01-07', 3_250_000n)]);
  });
  afterAll(async () => {
    process.env = savedEnv;
    await dynamo?.stop();
  });

  test('GET /v1/points/{address} answers epoch totals and days as decimal points', async () => {
    const reply = await call('GET /v1/points/{address}', { address: A.toUpperCase().replace('0X', '0x') });

    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ address: A, totalPoints: '6.25', epochs: [{ epoch: 1, points: '6.25', days: 2 }], referrer: null, referred: 0 });
    expect(reply.json.days.map((d: { day: string; total: string; boost: string }) => [d.day, d.total, d.boost])).toEqual([
      ['2025-01-07', '3.25', '1.2'],
      ['2025-01-06', '3', '1.2'],
    ]);
  });

  test('GET /v1/indexes/{symbol}/history answers the recorded NAVs in a day range; bad ranges are 400, an unknown index 404', async () => {
    await store.putIndexNavs([
      { index: 'MAG7.ssi', day: '2025-01-06', block: 60, navUsd: 1234_500000000000000000n },
      { index: 'MAG7.ssi', day: '2025-01-07', block: 70, navUsd: 1240n * 10n ** 18n },
    ]);
    const route = 'GET /v1/indexes/{symbol}/history';

    const reply = await call(route, { symbol: 'MAG7.ssi' }, { query: { from: '2025-01-01', to: '2025-01-31' } });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      index: 'MAG7.ssi',
      address: MAG7,
      unit: 'USD per token',
      from: '2025-01-01',
      to: '2025-01-31',
      days: [
        { day: '2025-01-06', block: 60, navUsd: '1234.5' },
        { day: '2025-01-07', block: 70, navUsd: '1240' },
      ],
    });
    expect((await call(route, { symbol: 'MAG7.ssi' }, { query: { from: '2025-01-07', to: '2025-01-07' } })).json.days).toEqual([{ day: '2025-01-07', block: 70, navUsd: '1240' }]);
    // Without bounds: the year up to today, which holds none of these 2025 days.
    expect((await call(route, { symbol: 'MAG7.ssi' })).json.days).toEqual([]);

    for (const query of [{ from: '2025-02-30' }, { to: 'yesterday' }, { from: '2025-02-01', to: '2025-01-01' }, { from: '2023-01-01', to: '2025-01-01' }, { since: '2025-01-01' }] as Array<Record<string, string>>) {
      const refused = await call(route, { symbol: 'MAG7.ssi' }, { query });
      expect([JSON.stringify(query), refused.status]).toEqual([JSON.stringify(query), 400]);
    }
    const unknown = await call(route, { symbol: 'NOPE.ssi' }, { query: { from: '2025-01-01', to: '2025-01-31' } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toBe('no index NOPE.ssi');
  });

  test('GET /v1/points/{address} refuses what is not an address', async () => {
    const reply = await call('GET /v1/points/{address}', { address: 'alice' });

    expect(reply.status).toBe(400);
    expect(reply.json.message).toMatch('must be a 0x-prefixed 20-byte hex address');
  });

  test('GET /v1/epochs/{id}/leaderboard ranks users by points; an epoch that does not exist is a 404', async () => {
    const board = await call('GET /v1/epochs/{id}/leaderboard', { id: '1' }, { query: { limit: '10' } });
    const missing = await call('GET /v1/epochs/{id}/leaderboard', { id: '0' });

    expect(board.json).toEqual({
      epoch: 1,
      entries: [
        { rank: 1, address: B, points: '9.5' },
        { rank: 2, address: A, points: '6.25' },
      ],
    });
    expect(missing.status).toBe(404);
  });

  test('GET /v1/epochs lists started epochs with their records', async () => {
    await store.putEpoch({ epoch: 1, start: '2025-01-06', end: '2025-01-12', status: 'published', pool: 100n, root: '0x01', participants: 2 });
    const deps = { store, calendar: new EpochCalendar(DEFAULT_POINTS_CONFIG.epochs), chainId: CHAIN_ID, now: () => new Date('2025-01-14T12:00:00Z') };

    const answer = await listEpochs(deps);

    expect(answer.currentEpoch).toBe(2);
    expect(answer.epochs).toEqual([
      { epoch: 1, start: '2025-01-06', end: '2025-01-12', status: 'published', pool: 100n, participants: 2, totalPoints: null, root: '0x01', publishTx: null },
      { epoch: 2, start: '2025-01-13', end: '2025-01-19', status: 'open', pool: null, participants: null, totalPoints: null, root: null, publishTx: null },
    ]);
    expect((await call('GET /v1/epochs')).status).toBe(200);
  });

  test('GET /v1/rewards/{address} answers the cumulative amount with a proof that verifies; none yet is a 404', async () => {
    const settlement = settleEpoch(1, 10n ** 21n, new Map([[A, 625n], [B, 950n]]), new Map());
    const tree = settlement.tree!;
    await store.putClaims([0, 1].map((i) => ({ address: tree.at(i).account, epoch: 1, cumulativeAmount: tree.at(i).amount, proof: tree.getProof(i), root: tree.root })));

    const reply = await call('GET /v1/rewards/{address}', { address: B });
    const none = await call('GET /v1/rewards/{address}', { address: `0x${'c'.repeat(40)}` });

    expect(reply.status).toBe(200);
    expect(reply.json.cumulativeAmount).toBe(String(settlement.cumulative.get(B)));
    expect(reply.json).toMatchObject({ claimed: null, claimable: null, distributor: null });
    expect(StandardMerkleTree.verify(reply.json.root, ['address', 'uint256'], [B, reply.json.cumulativeAmount], reply.json.proof)).toBe(true);
    expect(none.status).toBe(404);
  });

  describe('POST /v1/referrals', () => {
    const NOW = new Date('2025-01-13T10:00:00Z');
    const nowSeconds = NOW.getTime() / 1000;
    const DOMAIN = '0x00000000000000000000000000000000000000ee';
    const holders = new Set<string>();
    const deps = (over: Partial<ReferralDeps> = {}): ReferralDeps => ({
      store,
      chainId: CHAIN_ID,
      domain: DOMAIN,
      perReferrer: 100,
      hasPosition: async (a) => holders.has(a.toLowerCase()),
      now: () => NOW,
      ...over,
    });
    /** A referred wallet holding a position and its signed request (overridable fields are signed as given). */
    async function signed(over: Partial<ReferralRequest> = {}, signer = Wallet.createRandom(), holds = true) {
      if (holds) holders.add(signer.address.toLowerCase());
      const request: ReferralRequest = { referrer: A, referred: signer.address, domain: DOMAIN, chainId: CHAIN_ID, nonce: hexlify(randomBytes(16)), expires: nowSeconds + 3600, ...over };
      const body = { referrer: A, referred: signer.address, nonce: request.nonce, expires: request.expires, signature: await signer.signMessage(referralMessage(request)) };
      return { signer, body };
    }
    const refusal = (promise: Promise<unknown>) => promise.then(() => ({ status: 200, code: 'ok' }), (e: { status: number; code: string }) => ({ status: e.status, code: e.code }));

    test('registers a link signed by a referred user holding a position, once', async () => {
      const { signer, body } = await signed();

      const first = await registerReferral(deps(), body);
      const again = await refusal(registerReferral(deps(), body));

      expect(first).toMatchObject({ referrer: A, referred: signer.address.toLowerCase(), since: '2025-01-13' });
      expect(again).toEqual({ status: 409, code: 'already_referred' });
      expect(await store.referrerOf(signer.address.toLowerCase())).toMatchObject({ referrer: A, nonce: body.nonce.toLowerCase() });
    });

    test('public referrals: refuses a signature by someone else, for another chain or another deployment', async () => {
      const { body } = await signed();
      const stranger = await signed({ referred: body.referred }, Wallet.createRandom());
      const otherChain = await signed({ chainId: 1 });
      const otherDomain = await signed({ domain: '0x00000000000000000000000000000000000000ff' });

      for (const candidate of [{ ...body, signature: stranger.body.signature }, otherChain.body, otherDomain.body]) {
        expect(await refusal(registerReferral(deps(), candidate))).toEqual({ status: 400, code: 'bad_signature' });
      }
    });

    test('public referrals: a signed referral cannot be replayed after its expiry nor be valid for more than a day', async () => {
      const expired = await signed({ expires: nowSeconds - 1 });
      const tooFar = await signed({ expires: nowSeconds + 86_400 + 1 });
      const changedExpiry = await signed();

      expect(await refusal(registerReferral(deps(), expired.body))).toEqual({ status: 400, code: 'referral_expired' });
      expect(await refusal(registerReferral(deps(), tooFar.body))).toEqual({ status: 400, code: 'referral_expiry_too_far' });
      // the expiry is signed: moving it voids the signature
      expect(await refusal(registerReferral(deps(), { ...changedExpiry.body, expires: changedExpiry.body.expires + 60 }))).toEqual({ status: 400, code: 'bad_signature' });
    });

    test('public referrals: a throwaway wallet without a position cannot register a link', async () => {
      const { signer, body } = await signed({}, Wallet.createRandom(), false);

      expect(await refusal(registerReferral(deps(), body))).toEqual({ status: 403, code: 'no_position' });
      expect(await store.referrerOf(signer.address.toLowerCase())).toBeUndefined();
    });

    test('public referrals: a referrer gets at most the declared number of referred users', async () => {
      const referrer = Wallet.createRandom().address.toLowerCase();
      const limited = deps({ perReferrer: 2 });
      const replies = [];
      for (let i = 0; i < 3; i++) {
        const { body } = await signed({ referrer });
        replies.push(await refusal(registerReferral(limited, { ...body, referrer })));
      }
      expect(replies.map((r) => r.status)).toEqual([200, 200, 409]);
      expect(replies[2]).toEqual({ status: 409, code: 'referral_limit' });
    });

    test('the route refuses an unsigned-shape body: nonce and expiry are required', async () => {
      const referred = Wallet.createRandom();
      const signature = await referred.signMessage('anything');
      const reply = await call('POST /v1/referrals', undefined, { body: { referrer: A, referred: referred.address, signature } });
      expect(reply.status).toBe(400);
      expect(JSON.stringify(reply.json)).toMatch(/nonce|expires/);
    });
  });
});
