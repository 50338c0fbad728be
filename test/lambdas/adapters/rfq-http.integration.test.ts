import { createServer, type IncomingMessage, type Server } from 'node:http';
import { recoverAddress, Wallet } from 'ethers';
import { httpTransport } from '../../../lambdas/adapters/rfq-http';
import { askPmm, askPmms, draftToWire, MAX_RFQ_BATCH, type PmmEndpoint, type QuoteDraft, type RfqOutcome } from '../../../lambdas/domain/quotes/rfq';
import { issuerDomain, Side } from '../../../lambdas/domain/orders';
import { startPmmSimulator, type RunningPmm } from '../../../infra/local/pmm-simulator';
import { QuoteOrderHasher } from '../../../lambdas/domain/quotes/order-hash';

const ISSUER = '0x00000000000000000000000000000000000000aa';
const INDEX = '0x00000000000000000000000000000000000000E1';
const BTC = '0x0000000000000000000000000000000000000b01';
const USDC = '0x0000000000000000000000000000000000000C03';
const SIGNATURE = `0x${'11'.repeat(65)}`;

const draftFor = (requestId: string, indexAmount = 10n ** 18n): QuoteDraft => ({
  requestId,
  chainId: 31337,
  issuer: ISSUER,
  order: { index: INDEX, side: Side.Mint, indexAmount, assets: [BTC], amounts: [1000n], cashToken: USDC, requester: ISSUER, deadline: 2_000_000_000n },
  referenceCashAmount: 1n,
});

const body = async (request: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

type Draft = { requestId: string };

describe('RFQ over HTTP', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 300);
      if (req.url === '/huge') return void res.end(`{"x":"${'a'.repeat(70_000)}"}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"cashAmount":"1","nonce":"1","signature":"0x' + '11'.repeat(65) + '"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const draft: QuoteDraft = {
    requestId: 'r',
    chainId: 1,
    issuer: ISSUER,
    order: { index: INDEX, side: Side.Mint, indexAmount: 1n, assets: [], amounts: [], cashToken: USDC, requester: ISSUER, deadline: 1n },
    referenceCashAmount: 1n,
  };
  const transport = httpTransport();

  test('an answer within the timeout is parsed; a late one is a timeout; an oversized one is refused; a closed port is unreachable', async () => {
    expect(await askPmm({ name: 'p', url: `${url}/rfq`, maker: ISSUER }, draft, { timeoutMs: 500, transport })).toMatchObject({ ok: true, answer: { cashAmount: '1' } });
    expect(await askPmm({ name: 'p', url: `${url}/slow`, maker: ISSUER }, draft, { timeoutMs: 100, transport })).toMatchObject({ ok: false, code: 'timeout' });
    expect(await askPmm({ name: 'p', url: `${url}/huge`, maker: ISSUER }, draft, { timeoutMs: 500, transport })).toMatchObject({ ok: false, code: 'unreachable' });
    expect(await askPmm({ name: 'p', url: 'http://127.0.0.1:1/rfq', maker: ISSUER }, draft, { timeoutMs: 500, transport })).toMatchObject({ ok: false, code: 'unreachable' });
  });
});

describe('RFQ batches', () => {
  let server: Server;
  let base: string;
  /** Every request the PMM stand-in received: its path and how many RFQs it carried. */
  const seen: Array<{ path: string; rfqs: number }> = [];
  /** How the stand-in answers a batch (default: each RFQ priced at its position + 1). */
  let answerBatch: (rfqs: Draft[]) => { status: number; text: string } = (rfqs) => ({
    status: 200,
    text: JSON.stringify({ answers: rfqs.map((r) => ({ status: 200, body: { cashAmount: r.requestId.slice(1), nonce: '7', signature: SIGNATURE } })) }),
  });
  beforeAll(async () => {
    server = createServer((request, response) => {
      void body(request).then((json) => {
        const path = request.url ?? '';
        let answer: { status: number; text: string };
        if (path === '/batch' || path === '/slow') {
          const { rfqs } = json as { rfqs: Draft[] };
          seen.push({ path, rfqs: rfqs.length });
          answer = answerBatch(rfqs);
        } else {
          seen.push({ path, rfqs: 1 });
          answer = { status: 200, text: JSON.stringify({ cashAmount: (json as Draft).requestId.slice(1), nonce: '7', signature: SIGNATURE }) };
        }
        if (path === '/slow') return void setTimeout(() => response.end(answer.text), 300);
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(answer.text);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => (seen.length = 0));

  const transport = httpTransport();
  const pmm = (): PmmEndpoint => ({ name: 'p', url: `${base}/rfq`, batchUrl: `${base}/batch`, maker: ISSUER });
  const askAll = (endpoint: PmmEndpoint, count: number, timeoutMs = 500): Promise<RfqOutcome[]> =>
    Promise.all(Array.from({ length: count }, (_, i) => askPmm(endpoint, draftFor(`r${i + 1}`), { timeoutMs, transport })));
  const cashAmounts = (outcomes: RfqOutcome[]) => outcomes.map((o) => (o.ok ? o.answer.cashAmount : o.code));

  test('RFQs asked in one turn go out as one batch, and each gets its own answer', async () => {
    const outcomes = await askAll(pmm(), 5);
    expect(seen).toEqual([{ path: '/batch', rfqs: 5 }]);
    expect(cashAmounts(outcomes)).toEqual(['1', '2', '3', '4', '5']);
  });

  test('a lone RFQ goes to the plain URL; a PMM without a batch URL is asked one RFQ at a time', async () => {
    expect(cashAmounts(await askAll(pmm(), 1))).toEqual(['1']);
    expect(cashAmounts(await askAll({ ...pmm(), batchUrl: undefined }, 3))).toEqual(['1', '2', '3']);
    expect(seen).toEqual([{ path: '/rfq', rfqs: 1 }, { path: '/rfq', rfqs: 1 }, { path: '/rfq', rfqs: 1 }, { path: '/rfq', rfqs: 1 }]);
  });

  test(`more than ${MAX_RFQ_BATCH} RFQs in a turn are split into batches of at most ${MAX_RFQ_BATCH}`, async () => {
    const outcomes = await askAll(pmm(), MAX_RFQ_BATCH * 2 + 3);
    expect(seen.map((s) => s.rfqs).sort((a, b) => b - a)).toEqual([MAX_RFQ_BATCH, MAX_RFQ_BATCH, 3]);
    expect(cashAmounts(outcomes)).toEqual(Array.from({ length: MAX_RFQ_BATCH * 2 + 3 }, (_, i) => String(i + 1)));
  });

  test("one RFQ's refusal inside a batch spoils only its own answer", async () => {
    answerBatch = (rfqs) => ({
      status: 200,
      text: JSON.stringify({ answers: rfqs.map((r, i) => (i === 1 ? { status: 422, body: { error: 'cannot price' } } : { status: 200, body: { cashAmount: r.requestId.slice(1), nonce: '7', signature: SIGNATURE } })) }),
    });
    const outcomes = await askAll(pmm(), 3);
    expect(cashAmounts(outcomes)).toEqual(['1', 'http_error', '3']);
    expect(outcomes[1]).toMatchObject({ ok: false, reason: 'answered HTTP 422: {"error":"cannot price"}' });
  });

  test('a failed batch fails each RFQ in it with the reason: HTTP error, wrong answer count, not JSON, timeout', async () => {
    answerBatch = () => ({ status: 500, text: 'down' });
    expect(await askAll(pmm(), 2)).toEqual([expect.objectContaining({ ok: false, code: 'http_error', reason: 'answered HTTP 500: down' }), expect.objectContaining({ code: 'http_error' })]);
    answerBatch = () => ({ status: 200, text: JSON.stringify({ answers: [{ status: 200, body: {} }] }) });
    expect(cashAmounts(await askAll(pmm(), 2))).toEqual(['malformed', 'malformed']);
    answerBatch = () => ({ status: 200, text: 'not json' });
    expect(await askAll(pmm(), 2)).toEqual([expect.objectContaining({ code: 'malformed', reason: 'answer is not JSON' }), expect.objectContaining({ code: 'malformed' })]);
    expect(cashAmounts(await askAll({ ...pmm(), batchUrl: `${base}/slow` }, 2, 100))).toEqual(['timeout', 'timeout']);
  });

  test('batches are per PMM: two PMMs asked for the same drafts each get their own batch', async () => {
    answerBatch = (rfqs) => ({
      status: 200,
      text: JSON.stringify({ answers: rfqs.map((r) => ({ status: 200, body: { cashAmount: r.requestId.slice(1), nonce: '7', signature: SIGNATURE } })) }),
    });
    const pmms = [pmm(), { ...pmm(), name: 'q' }];
    const outcomes = await Promise.all([1, 2, 3].map((i) => askPmms(pmms, draftFor(`r${i}`), { timeoutMs: 500, transport })));
    expect(seen).toEqual([{ path: '/batch', rfqs: 3 }, { path: '/batch', rfqs: 3 }]);
    expect(outcomes.map((o) => o.map((x) => (x.ok ? `${x.pmm.name}:${x.answer.cashAmount}` : x.code)))).toEqual([['p:1', 'q:1'], ['p:2', 'q:2'], ['p:3', 'q:3']]);
  });
});

describe('the PMM simulator batch endpoint', () => {
  const key = Wallet.createRandom();
  let pmm: RunningPmm;
  beforeAll(async () => {
    pmm = await startPmmSimulator({
      privateKey: key.privateKey,
      rpcUrl: 'http://127.0.0.1:1',
      fillRequests: false,
      deployment: { chainId: 31337, contracts: { issuer: ISSUER }, tokens: { BTC: { address: BTC, decimals: 8 }, USDC: { address: USDC, decimals: 6 } } },
      prices: { fixed: { BTC: 100_000, USDC: 1 } },
    });
  });
  afterAll(() => pmm.close());

  const wire = (requestId: string, indexAmount: bigint) => draftToWire(draftFor(requestId, indexAmount), key.address);
  const post = async (url: string, payload: unknown) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof payload === 'string' ? payload : JSON.stringify(payload) });
    return { status: response.status, body: (await response.json()) as { answers: Array<{ status: number; body: { cashAmount: string; nonce: string; signature: string } }> } };
  };

  test('answers each draft of a batch as /rfq would, signed by its key; a bad draft refuses only itself', async () => {
    const drafts = [wire('a', 10n ** 18n), { ...wire('b', 1n), order: { ...wire('b', 1n).order, maker: ISSUER } }, wire('c', 2n * 10n ** 18n)];
    const before = { ...pmm.stats };
    const { status, body } = await post(pmm.rfqBatchUrl, { rfqs: drafts });
    expect(status).toBe(200);
    expect(body.answers.map((a) => a.status)).toEqual([200, 400, 200]);
    // 1000 sats of BTC at 100k USD = 1 USD, plus 10 bps: 1.001 USDC.
    expect(body.answers[0].body.cashAmount).toBe('1001000');
    const single = await post(pmm.rfqUrl, drafts[0]);
    expect((single.body as unknown as { cashAmount: string }).cashAmount).toBe(body.answers[0].body.cashAmount);
    const hasher = new QuoteOrderHasher(issuerDomain(31337, ISSUER));
    const { order } = drafts[2];
    const digest = hasher.hash({
      index: order.index,
      side: order.side,
      indexAmount: BigInt(order.indexAmount),
      assets: order.assets,
      amounts: order.amounts.map(BigInt),
      cashToken: USDC,
      cashAmount: BigInt(body.answers[2].body.cashAmount),
      maker: key.address,
      requester: order.requester,
      deadline: BigInt(order.deadline),
      nonce: BigInt(body.answers[2].body.nonce),
    });
    expect(recoverAddress(digest, body.answers[2].body.signature)).toBe(key.address);
    expect(pmm.stats.quoted - before.quoted).toBe(3);
    expect(pmm.stats.refused - before.refused).toBe(1);
  });

  test(`refuses a batch that is empty, over ${MAX_RFQ_BATCH} drafts, not a batch or not JSON`, async () => {
    expect((await post(pmm.rfqBatchUrl, { rfqs: [] })).status).toBe(400);
    expect((await post(pmm.rfqBatchUrl, { rfqs: Array.from({ length: MAX_RFQ_BATCH + 1 }, (_, i) => wire(`x${i}`, 10n ** 18n)) })).status).toBe(400);
    expect((await post(pmm.rfqBatchUrl, wire('a', 10n ** 18n))).status).toBe(400);
    expect((await post(pmm.rfqBatchUrl, '{')).status).toBe(400);
  });
});
