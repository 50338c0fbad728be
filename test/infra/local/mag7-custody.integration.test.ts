/**
 * MAG7.ssi on the local stack as the product holds it: BTC, SOL, XRP, DOGE and ADA in custodian
 * wallets on their native chains (the ledger simulators), ETH and BNB as on-chain legs. The WLP mints
 * and redeems through the CLI; the PMM simulator delivers and accepts; the custody-watch function
 * (its bundle, in its worker, with the custodian KMS key) releases and attests. Then the refusals:
 * a PMM that never delivers (refund after the deadline), a replayed transaction id, a wrong
 * custodian signer and a short delivery.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { Contract, JsonRpcProvider, Network, NonceManager, Wallet, getAddress } from 'ethers';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { NATIVE_CHAINS as CHAINS, custodyStackTools, waitFor } from '../../helpers/custody-stack';
import { localCredentials, LOCAL_REGION } from '../../../infra/local/credentials';
import { ATTESTED_ISSUER_INTERFACE, attestedIssuerSink, sendWithSigner } from '../../../lambdas/custody/attested-issuer';
import { CustodianService } from '../../../lambdas/custody/service';
import { DeliverySettler } from '../../../lambdas/custody/settle';
import { SimulatorCustodianAdapter } from '../../../lambdas/custody/simulator-adapter';
import { custodyDomain } from '../../../lambdas/domain/custody/attestation';
import { basketOf } from '../../../lambdas/domain/fees';
import { KmsSigner } from '../../../lambdas/signing/kms-signer';
import { ERC20_ABI, INDEX_TOKEN_ABI } from '../../../lambdas/shared/abi';

/** Hardhat's account #0 (a public test key, local only): submits legs here, as anyone may. */
const SUBMITTER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const ONE = 10n ** 18n;
const PENDING = 1n;
const COMPLETED = 2n;
const REFUNDED = 3n;

let stack: TestStack;
let provider: JsonRpcProvider;
let attested: Contract;
let index: Contract;
let usdc: Contract;
let wlp: NonceManager;
let ledgers: string;
let kms: KMSClient;

const { cli, ledger, finalizeAll, watch } = custodyStackTools(() => stack);
/** A stored quote of the local WLP, read back from the quote API as the WLP would. */
const storedQuote = async (id: string) => {
  const response = await fetch(`${stack.file.api}/v1/quotes/${id}`, { headers: { 'x-api-key': stack.file.wlp.apiKey } });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const transfersTo = (chain: string) => ledger<{ transfers: Array<{ txId: string; memo?: string; to: string; amount: string }> }>(`/chains/${chain}/transfers?address=${encodeURIComponent(stack.file.custody.wallets[chain]!)}&fromHeight=0`);
const mintRequest = (id: string) => attested.getFunction('getMintRequest')(id) as Promise<{ status: bigint; legsAttested: bigint }>;
const redeemRequest = (id: string) => attested.getFunction('getRedeemRequest')(id) as Promise<{ status: bigint; accepted: boolean }>;
/** The basket amount of `placeholder` a mint of `indexAmount` must deliver now. */
async function due(placeholder: string, indexAmount: bigint): Promise<bigint> {
  const [assets, units, factor] = (await index.getFunction('baseTokenset')()) as [string[], bigint[], bigint];
  const i = assets.findIndex((a) => getAddress(a) === getAddress(placeholder));
  return basketOf(indexAmount, [units[i]!], factor)[0]!;
}
/** A mint the PMM will not deliver for: its cash is far below the PMM's price. */
async function underpricedMint(): Promise<string> {
  await (await (usdc.connect(wlp) as Contract).getFunction('approve')(stack.file.custody.attestedIssuer!, 1n)).wait();
  const receipt = await (await (attested.connect(wlp) as Contract).getFunction('requestMint')(await index.getAddress(), ONE, await usdc.getAddress(), 1n, stack.file.pmm.address)).wait();
  return ATTESTED_ISSUER_INTERFACE.parseLog(receipt!.logs.find((l: { address: string }) => getAddress(l.address) === getAddress(stack.file.custody.attestedIssuer!))!)!.args.requestId as string;
}

beforeAll(async () => {
  stack = await startTestStack();
  provider = new JsonRpcProvider(stack.file.rpc, Network.from(stack.file.chainId), { staticNetwork: true, cacheTimeout: -1 });
  attested = new Contract(stack.file.custody.attestedIssuer!, ATTESTED_ISSUER_INTERFACE, provider);
  index = new Contract(stack.file.indexes['MAG7.ssi']!, INDEX_TOKEN_ABI, provider);
  usdc = new Contract(stack.file.tokens.USDC!.address, ERC20_ABI, provider);
  wlp = new NonceManager(new Wallet(stack.file.wlp.privateKey, provider));
  ledgers = stack.file.custody.ledgersUrl;
  kms = new KMSClient({ endpoint: stack.file.kms, region: LOCAL_REGION, credentials: localCredentials });
}, 900_000);

afterAll(async () => {
  kms?.destroy();
  provider?.destroy();
  await stack?.stop();
});

describe('MAG7.ssi with native-chain legs on the local stack', () => {
  let firstMint: string;

  test('the stack deploys MAG7.ssi over five custodian assets and two on-chain legs, and lists where custody is', async () => {
    expect(Object.keys(stack.file.custodianAssets ?? {}).sort()).toEqual(['ADA', 'BTC', 'DOGE', 'SOL', 'XRP']);
    const [assets] = (await index.getFunction('baseTokenset')()) as [string[]];
    const placeholders = Object.values(stack.file.custodianAssets!).map((a) => getAddress(a.address));
    const onchain = [stack.file.tokens.ETH!.address, stack.file.tokens.BNB!.address].map((a) => getAddress(a));
    expect(assets.map((a) => getAddress(a)).sort()).toEqual([...placeholders, ...onchain].sort());
    expect(Object.keys(stack.file.custody.wallets).sort()).toEqual([...CHAINS].sort());
    expect(Object.keys(stack.file.custody.pmmNativeAddresses).sort()).toEqual([...CHAINS].sort());
    expect((await attested.getFunction('isIndexAllowed')(await index.getAddress())) as boolean).toBe(true);
  });

  test('a WLP quotes MAG7.ssi through the quote API, which relays the RFQ to the registered PMM and records the quote', async () => {
    const quote = await cli('quote', '--index', 'MAG7.ssi', '--amount', '1');
    expect(quote).toEqual(
      expect.objectContaining({
        id: expect.stringMatching(UUID),
        attested: true,
        side: 'mint',
        indexAmount: '1',
        pmm: expect.objectContaining({ name: 'local-pmm', maker: stack.file.pmm.address }),
        submit: { attestedIssuer: getAddress(stack.file.custody.attestedIssuer!), method: 'requestMint' },
      }),
    );
    expect(Number(quote.cashAmount)).toBeGreaterThan(0);
    const stored = await storedQuote(quote.id as string);
    expect(stored).toEqual(expect.objectContaining({ id: quote.id, status: 'open' }));
    expect(stored.quote).toEqual(
      expect.objectContaining({
        attested: true,
        cashAmount: quote.cashAmount,
        pmm: expect.objectContaining({ maker: stack.file.pmm.address }),
        rfq: expect.objectContaining({ asked: 1, accepted: 1 }),
        submit: expect.objectContaining({ args: expect.objectContaining({ pmm: stack.file.pmm.address, indexAmount: ONE.toString() }) }),
      }),
    );
    // --pmm still asks a PMM directly: the same price terms, nothing recorded, so no quote id.
    const direct = await cli('quote', '--index', 'MAG7.ssi', '--amount', '1', '--pmm', stack.file.pmm.url);
    expect(direct).toEqual(expect.objectContaining({ attested: true, side: 'mint', pmm: { url: stack.file.pmm.url, maker: stack.file.pmm.address } }));
    expect(direct).not.toHaveProperty('id');
  }, 120_000);

  test('a WLP mints 1 MAG7.ssi through the CLI: the PMM delivers on five chains, the custodian attests, the PMM completes', async () => {
    const cashBefore = (await usdc.getFunction('balanceOf')(stack.file.wlp.address)) as bigint;
    const minted = await cli('mint', '--index', 'MAG7.ssi', '--amount', '1');
    expect(minted).toEqual(expect.objectContaining({ ok: true, status: 'pending', requestId: expect.stringMatching(/^0x[0-9a-f]{64}$/) }));
    firstMint = minted.requestId as string;
    // The request names the quote API's recorded price and PMM.
    const { quote } = minted;
    expect(quote).toEqual(expect.objectContaining({ id: expect.stringMatching(UUID), attested: true, pmm: expect.objectContaining({ maker: stack.file.pmm.address }) }));
    expect((await storedQuote(quote.id as string)).quote.cashAmount).toBe(quote.cashAmount);
    const request = (await attested.getFunction('getMintRequest')(firstMint)) as { cashAmount: bigint; pmm: string };
    expect([request.cashAmount, request.pmm]).toEqual([BigInt(Math.round(Number(quote.cashAmount) * 1e6)), stack.file.pmm.address]);
    for (const chain of CHAINS) await waitFor(`the PMM's ${chain} delivery`, async () => (await transfersTo(chain)).transfers.some((t) => t.memo === firstMint));

    const pending = await cli('status');
    const listed = pending.attested.find((r: { requestId: string }) => r.requestId === firstMint);
    expect(listed.status).toBe('pending');
    expect(listed.legs.map((l: { asset: string; chain: string; custodianWallet: string; attestation?: unknown }) => [l.asset, l.chain, l.custodianWallet, l.attestation]).sort()).toEqual(
      [...Object.entries(stack.file.custodianAssets!)].map(([symbol, a]) => [symbol, a.chain, stack.file.custody.wallets[a.chain], undefined]).sort(),
    );

    // The stack's simulated chains make blocks on their own, so how many legs are final by now depends on timing
    // (the settler's finality refusal is proven in test/lambdas/custody/attested-mint.integration.test.ts).
    await finalizeAll();
    await watch();
    await waitFor('the PMM to complete the mint', async () => (await mintRequest(firstMint)).status === COMPLETED);
    expect((await index.getFunction('balanceOf')(stack.file.wlp.address)) as bigint).toBe(ONE);
    expect(cashBefore - ((await usdc.getFunction('balanceOf')(stack.file.wlp.address)) as bigint)).toBe(BigInt(Math.round(Number(quote.cashAmount) * 1e6)));

    const status = await cli('status');
    const done = status.attested.find((r: { requestId: string }) => r.requestId === firstMint);
    expect(done.status).toBe('completed');
    const bitcoinTx = (await transfersTo('bitcoin')).transfers.find((t) => t.memo === firstMint)!;
    for (const leg of done.legs) expect(leg.attestation).toEqual(expect.objectContaining({ signer: stack.file.keys.custodian.address, txId: expect.not.stringMatching(/^0x/) }));
    expect(done.legs.find((l: { asset: string }) => l.asset === 'BTC').attestation.txId).toBe(bitcoinTx.txId);
    expect(status.balances['MAG7.ssi']).toBe('1.0');
  }, 300_000);

  test('the WLP redeems 0.5 MAG7.ssi through the CLI: the PMM accepts, custody-watch releases to its whitelisted addresses and attests', async () => {
    const cashBefore = (await usdc.getFunction('balanceOf')(stack.file.wlp.address)) as bigint;
    const pmmBtc = stack.file.custody.pmmNativeAddresses.bitcoin!;
    const btcBefore = BigInt((await ledger<{ balances: Array<{ amount: string }> }>(`/chains/bitcoin/balances?address=${pmmBtc}`)).balances[0]!.amount);
    const redeemed = await cli('redeem', '--index', 'MAG7.ssi', '--amount', '0.5');
    const requestId = redeemed.requestId as string;
    expect((await storedQuote(redeemed.quote.id as string)).quote).toEqual(expect.objectContaining({ side: 'redeem', cashAmount: redeemed.quote.cashAmount, submit: expect.objectContaining({ method: 'requestRedeem' }) }));
    await waitFor('the PMM to accept', async () => (await redeemRequest(requestId)).accepted);
    const btcDue = (await attested.getFunction('redeemDue')(requestId, stack.file.custodianAssets!.BTC!.address)) as bigint;
    expect(btcDue).toBeGreaterThan(0n);

    await watch(); // releases every custodian leg once
    await watch(); // a second run releases nothing more
    const btcAfter = BigInt((await ledger<{ balances: Array<{ amount: string }> }>(`/chains/bitcoin/balances?address=${pmmBtc}`)).balances[0]!.amount);
    expect(btcAfter - btcBefore).toBe(btcDue);
    await finalizeAll();
    await watch();
    expect((await redeemRequest(requestId)).status).toBe(COMPLETED);
    expect(((await usdc.getFunction('balanceOf')(stack.file.wlp.address)) as bigint) - cashBefore).toBe(BigInt(Math.round(Number(redeemed.quote.cashAmount) * 1e6)));
    const status = await cli('status');
    const view = status.attested.find((r: { requestId: string }) => r.requestId === requestId);
    expect(view.legs).toHaveLength(5);
    for (const leg of view.legs) expect(leg.attestation).toEqual(expect.objectContaining({ signer: stack.file.keys.custodian.address }));
  }, 300_000);

  describe('refusals', () => {
    let requestId: string;
    let settler: DeliverySettler;
    let sink: ReturnType<typeof attestedIssuerSink>;
    let adapter: SimulatorCustodianAdapter;
    const domain = () => custodyDomain(stack.file.chainId, stack.file.custody.attestedIssuer!);
    const custodianKey = () => new KmsSigner(kms, stack.file.keys.custodian.keyId);
    const chainTime = async () => BigInt((await provider.getBlock('latest'))!.timestamp);

    beforeAll(async () => {
      requestId = await underpricedMint();
      adapter = new SimulatorCustodianAdapter(ledgers);
      sink = attestedIssuerSink(stack.file.custody.attestedIssuer!, provider, sendWithSigner(new NonceManager(new Wallet(SUBMITTER_KEY, provider))), chainTime);
      const wallets = Object.fromEntries(Object.entries(stack.file.custody.wallets).map(([c, w]) => [c, [w]]));
      settler = new DeliverySettler(adapter, new CustodianService(adapter, custodianKey(), stack.file.chainId), domain(), sink, wallets, sink);
    });

    /** Sends `amount` of `chain`'s asset into the custodian wallet from a fresh funded address, naming `requestId`. */
    async function deliver(chain: string, asset: string, amount: bigint): Promise<string> {
      const { address } = await ledger<{ address: string }>(`/chains/${chain}/addresses`, {});
      await ledger(`/chains/${chain}/mint`, { to: address, asset, amount: amount.toString() });
      const sent = await ledger<{ txId: string }>(`/chains/${chain}/transfers`, { from: address, to: stack.file.custody.wallets[chain], asset, amount: amount.toString(), memo: requestId });
      return sent.txId;
    }

    test('a replayed transaction id: the service will not sign it, and the contract refuses it signed', async () => {
      const replayed = (await transfersTo('bitcoin')).transfers.find((t) => t.memo === firstMint)!.txId;
      expect(await settler.claim(requestId, 'bitcoin', replayed)).toEqual(expect.objectContaining({ outcome: 'refused', reason: 'transaction id already used by an accepted leg' }));
      const transfer = (await adapter.transaction('bitcoin', replayed, [stack.file.custody.wallets.bitcoin!]))!;
      const signed = await new CustodianService(adapter, custodianKey(), stack.file.chainId).attest(domain(), requestId, transfer);
      expect(await sink.submitMint(requestId, signed)).toEqual({ ok: false, reason: expect.stringMatching(/^TxIdAlreadyUsed\(/) });
    });

    test('a wrong custodian signer: a real delivery signed by another key is refused', async () => {
      const txId = await deliver('dogecoin', 'DOGE', await due(stack.file.custodianAssets!.DOGE!.address, ONE));
      await finalizeAll();
      const transfer = (await adapter.transaction('dogecoin', txId, [stack.file.custody.wallets.dogecoin!]))!;
      const impostor = Wallet.createRandom();
      const signed = await new CustodianService(adapter, impostor, stack.file.chainId).attest(domain(), requestId, transfer);
      expect(await sink.submitMint(requestId, signed)).toEqual({ ok: false, reason: `NotCustodianSigner(${impostor.address})` });
      expect((await attested.getFunction('attestedLeg')(requestId, stack.file.custodianAssets!.DOGE!.address)) as bigint).toBe(0n);
    });

    test('a short delivery: custody-watch gets it refused and the leg stays unattested', async () => {
      const required = await due(stack.file.custodianAssets!.BTC!.address, ONE);
      const txId = await deliver('bitcoin', 'BTC', (required * 99n) / 100n);
      await finalizeAll();
      await watch();
      expect((await attested.getFunction('attestedLeg')(requestId, stack.file.custodianAssets!.BTC!.address)) as bigint).toBe(0n);
      expect(await settler.claim(requestId, 'bitcoin', txId)).toEqual(expect.objectContaining({ outcome: 'refused', reason: expect.stringMatching(/^ShortDelivery\(/) }));
      expect((await mintRequest(requestId)).status).toBe(PENDING);
    });

    test('a PMM that never delivers: nothing to refund before the deadline, the WLP refunded after it', async () => {
      const refund = (attested.connect(wlp) as Contract).getFunction('refundMint');
      await expect(refund.staticCall(requestId)).rejects.toThrow();
      await provider.send('evm_increaseTime', [3601]);
      await provider.send('evm_mine', []);
      const before = (await usdc.getFunction('balanceOf')(stack.file.wlp.address)) as bigint;
      await (await refund(requestId)).wait();
      expect((await mintRequest(requestId)).status).toBe(REFUNDED);
      expect(((await usdc.getFunction('balanceOf')(stack.file.wlp.address)) as bigint) - before).toBe(1n);
    });
  });
});
