import { Wallet, getAddress, Interface } from 'ethers';
import { custodianPlaceholder } from '../../../lambdas/domain/custody/placeholder';
import { BALANCE_STATEMENT_TYPES, statementDomain, toStored, type BalanceStatement, type SignedBalanceStatement } from '../../../lambdas/domain/custody/statement';
import { assessCustodian, custodianChecks, type CustodianRegistryView } from '../../../lambdas/reserves/custodian';
import { buildReport, canonicalJson, parseReport, type ChainSnapshot, type IndexSnapshot } from '../../../lambdas/reserves/report';
import { tripBreaker } from '../../../lambdas/reserves/breaker';
import type { RelayerPort } from '../../../lambdas/reserves/publisher';
import type { ReserveRecords } from '../../../lambdas/reserves/store';

const ONE = 10n ** 18n;
const CHAIN_ID = 31337;
const DAY = '2026-12-05';
const BTC = custodianPlaceholder('bitcoin', 'BTC');
const SOL = custodianPlaceholder('solana', 'SOL');
const BTC_WALLET = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
const OTHER_BTC_WALLET = 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh';
const SOL_WALLET = '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV';
const custodian = new Wallet(Wallet.createRandom().privateKey);
const impostor = new Wallet(Wallet.createRandom().privateKey);

const view: CustodianRegistryView = {
  registry: getAddress('0x00000000000000000000000000000000000000f0'),
  assets: new Map([
    [BTC, { chain: 'bitcoin', assetId: 'BTC' }],
    [SOL, { chain: 'solana', assetId: 'SOL' }],
  ]),
  wallets: { bitcoin: [BTC_WALLET], solana: [SOL_WALLET] },
  signers: new Set([custodian.address]),
};

// 2 index tokens at 0.01 BTC and 5 SOL each: owed 2_000_000 sat and 10_000_000_000 lamports.
const assets = [BTC, SOL].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
const units: Record<string, bigint> = { [BTC]: 1_000_000n, [SOL]: 5_000_000_000n };
const supply = 2n * ONE;
const index: IndexSnapshot = {
  symbol: 'NAT.ssi',
  address: '0x00000000000000000000000000000000000000e1',
  assets,
  unitAmounts: assets.map((a) => units[a]!),
  totalSupply: supply,
  basket: assets.map((a) => (units[a]! * supply) / ONE),
  feeBasket: [0n, 0n],
  holders: [{ holder: getAddress('0x1000000000000000000000000000000000000001'), balance: supply }],
};
const snapshot: ChainSnapshot = {
  chainId: CHAIN_ID,
  blockNumber: 42,
  blockHash: `0x${'ab'.repeat(32)}`,
  blockTimestamp: 1_700_000_000,
  custody: getAddress('0x00000000000000000000000000000000000000c0'),
  registry: getAddress('0x00000000000000000000000000000000000000d0'),
  indexes: [index],
  custodyBalances: new Map(),
};

async function statement(chain: string, balances: BalanceStatement['balances'], signer: Wallet = custodian, day = DAY): Promise<SignedBalanceStatement> {
  const body: BalanceStatement = { chain, day, height: 100n, balances };
  const signature = await signer.signTypedData(statementDomain(CHAIN_ID), BALANCE_STATEMENT_TYPES, body);
  return toStored(body, CHAIN_ID, signer.address, signature);
}

async function covering(): Promise<SignedBalanceStatement[]> {
  return [await statement('bitcoin', [{ wallet: BTC_WALLET, asset: 'BTC', amount: 2_000_000n }]), await statement('solana', [{ wallet: SOL_WALLET, asset: 'SOL', amount: 10_000_000_000n }])];
}

function judge(statements: SignedBalanceStatement[]) {
  const section = assessCustodian(view, statements, DAY, assets);
  const { report } = buildReport(snapshot, index, { day: DAY, signer: custodian.address, custodian: section });
  return { section, report, checks: Object.fromEntries(custodianChecks(report, view, section).map((c) => [c.name, c])) };
}

describe('proof of reserve for custodian assets', () => {
  it('passes when registered signers state balances in registered wallets covering basket x supply', async () => {
    const { report, checks } = judge(await covering());
    expect(report.deficit).toBe(false);
    expect(report.assets.find((a) => a.asset === BTC)).toEqual(expect.objectContaining({ custodyBalance: 2_000_000n, totalLiabilities: 2_000_000n, surplus: 0n }));
    expect(Object.values(checks).map((c) => [c.name, c.ok])).toEqual([
      ['custodian-statements', true],
      ['custodian-wallets', true],
      ['custodian-coverage', true],
    ]);
    // The statements travel inside the signed report and survive its JSON form.
    const parsed = parseReport(JSON.parse(canonicalJson(report)));
    expect(canonicalJson(parsed)).toBe(canonicalJson(report));
    expect(parsed.custodian!.statements).toHaveLength(2);
  });

  it('a custodian asset short of basket x supply is a deficit of the report and fails coverage', async () => {
    const statements = [await statement('bitcoin', [{ wallet: BTC_WALLET, asset: 'BTC', amount: 1_999_999n }]), (await covering())[1]!];
    const { report, checks } = judge(statements);
    expect(report.deficit).toBe(true);
    expect(report.deficitAssets).toEqual([BTC]);
    expect(checks['custodian-coverage']).toEqual(expect.objectContaining({ ok: false, reason: expect.stringContaining('BTC on bitcoin: statements show 1999999, owed 2000000') }));
  });

  it('a statement signed by a key the registry does not hold counts for nothing', async () => {
    const statements = [await statement('bitcoin', [{ wallet: BTC_WALLET, asset: 'BTC', amount: 2_000_000n }], impostor), (await covering())[1]!];
    const { report, checks } = judge(statements);
    expect(checks['custodian-statements']).toEqual(expect.objectContaining({ ok: false, reason: expect.stringContaining(`signed by ${impostor.address}, which is not a registered custodian signer`) }));
    expect(checks['custodian-coverage']!.ok).toBe(false);
    expect(report.deficitAssets).toEqual([BTC]);
  });

  it('flags a wallet that is not registered and does not count its balance', async () => {
    const statements = [
      await statement('bitcoin', [
        { wallet: BTC_WALLET, asset: 'BTC', amount: 1_000_000n },
        { wallet: OTHER_BTC_WALLET, asset: 'BTC', amount: 5_000_000n },
      ]),
      (await covering())[1]!,
    ];
    const { report, checks } = judge(statements);
    expect(checks['custodian-wallets']).toEqual(expect.objectContaining({ ok: false, reason: expect.stringContaining(`wallet ${OTHER_BTC_WALLET} is not registered on bitcoin`) }));
    expect(checks['custodian-statements']!.ok).toBe(true);
    expect(report.assets.find((a) => a.asset === BTC)!.custodyBalance).toBe(1_000_000n);
    expect(report.deficit).toBe(true);
  });

  it('fails when a chain has no statement for the day, or a statement is for another day', async () => {
    const missing = judge([(await covering())[1]!]);
    expect(missing.checks['custodian-statements']).toEqual(expect.objectContaining({ ok: false, reason: expect.stringContaining('no statement for bitcoin on 2026-12-05') }));
    const stale = judge([await statement('bitcoin', [{ wallet: BTC_WALLET, asset: 'BTC', amount: 2_000_000n }], custodian, '2026-12-04'), (await covering())[1]!]);
    expect(stale.checks['custodian-statements']).toEqual(expect.objectContaining({ ok: false, reason: expect.stringContaining('not the report day 2026-12-05') }));
    expect(stale.report.deficit).toBe(true);
  });

  it('fails a report of an index with custodian assets that carries no statements', () => {
    const { report } = buildReport(snapshot, index, { day: DAY, signer: custodian.address });
    expect(report.custodian).toBeUndefined();
    expect(custodianChecks(report, view, undefined)).toEqual([expect.objectContaining({ name: 'custodian-statements', ok: false })]);
  });

  it('the tripped breaker also takes the index off the AttestedIssuer, through the operator relayer', async () => {
    const sent: Array<{ key: string; to: string; data: string }> = [];
    const relayer: RelayerPort = {
      submit: async (request) => {
        sent.push({ key: request.key, to: request.to, data: request.data ?? "" });
        return {} as never;
      },
      wait: async () => ({ status: 'mined', txHash: '0x01' }) as never,
    };
    const records = { putBreaker: async () => undefined } as unknown as ReserveRecords;
    const issuer = getAddress('0x00000000000000000000000000000000000000a1');
    const attestedIssuer = getAddress('0x00000000000000000000000000000000000000a2');
    await tripBreaker({ relayer, records, issuer, attestedIssuer }, { symbol: index.symbol, index: index.address, day: DAY, deficitAssets: [BTC] });
    const calls = new Interface(['function setMintPaused(address index, bool paused)', 'function setIndex(address index, bool allowed)']);
    expect(sent.map((s) => [s.to, calls.parseTransaction({ data: s.data })!.name, [...calls.parseTransaction({ data: s.data })!.args]])).toEqual([
      [issuer, 'setMintPaused', [getAddress(index.address), true]],
      [attestedIssuer, 'setIndex', [getAddress(index.address), false]],
    ]);
  });
});
