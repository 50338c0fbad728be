/**
 * MAG7.ssi's scheduled rebalance on the local stack, through custodian-attested legs: the rebalance-run
 * function (its bundle, the operator and price-attester KMS keys) quotes the PMM simulator under the
 * AttestedRebalancer's domain and opens the rebalance; the PMM accepts and delivers its custodian buys
 * on their native chains (ledger simulators); the custody-watch function attests the buys, releases the
 * custodian sells to the maker's whitelisted addresses and attests those, which completes it; the next
 * run confirms the weights. Then a rebalance whose legs are never attested is cancelled past its
 * deadline and the run fails with the basket unchanged. Before all that, a run started while an attested redeem
 * awaits acceptance waits without opening anything; once that redeem is accepted the run opens, and a redeem
 * requested while the rebalance is pending is accepted only after it completed (AttestedIssuer: IndexRebalancing).
 */
import { Contract, JsonRpcProvider, Network, Wallet, ZeroHash, getAddress, parseUnits } from 'ethers';
import { startTestStack, type TestStack } from '../../helpers/stack';
import type { RebalanceRunView as RunView } from '../../helpers/rebalance';
import { NATIVE_CHAINS as CHAINS, custodyStackTools, waitFor } from '../../helpers/custody-stack';
import { scheduledEvent } from '../../../infra/local/scheduler';
import { SCHEDULES } from '../../../topology';
import { ATTESTED_ISSUER_INTERFACE } from '../../../lambdas/custody/attested-issuer';
import { ATTESTED_REBALANCER_INTERFACE } from '../../../lambdas/custody/attested-rebalancer';
import { STEPS } from '../../../lambdas/rebalance/store';
import { ERC20_ABI, INDEX_TOKEN_ABI } from '../../../lambdas/shared/abi';
import { nativeKey } from '../../../lambdas/domain/custody/attestation';
import { expectRevert } from '../../helpers/revert';

const PENDING = 1n;
const COMPLETED = 2n;
const CANCELLED = 3n;


let stack: TestStack;
let provider: JsonRpcProvider;
let index: Contract;
let arb: Contract;
let attested: Contract;

const { cli, ledger, transfersOf, finalizeAll, watch } = custodyStackTools(() => stack);
const balanceOn = async (chain: string, address: string, asset: string): Promise<bigint> =>
  BigInt((await ledger<{ balances: Array<{ asset: string; amount: string }> }>(`/chains/${chain}/balances?address=${encodeURIComponent(address)}`)).balances.find((b) => b.asset === asset)!.amount);
/** The rebalance-mag7 schedule's event for `date`, sent to the rebalance-run function. */
const rebalance = (date: string) => {
  const schedule = SCHEDULES.find((s) => s.name === 'rebalance-mag7')!;
  return stack.lambdas.invoke('rebalance-run', { ...scheduledEvent(schedule), detail: { index: 'MAG7.ssi', date } });
};
const getRun = async (date: string): Promise<RunView> => {
  const answer = await stack.api(`/v1/rebalances/MAG7.ssi/${encodeURIComponent(`MAG7.ssi:${date}`)}`);
  expect(answer.status).toBe(200);
  return (await answer.json()) as RunView;
};
/** Where an attested redeem stands (copied out of the ethers Result, so it compares as an object). */
const getRedeem = async (id: string): Promise<{ status: bigint; accepted: boolean }> => {
  const { status, accepted } = (await attested.getFunction('getRedeemRequest')(id)) as { status: bigint; accepted: boolean };
  return { status, accepted };
};
/** What a PMM names on acceptance: the simulator PMM's whitelisted native address per custodian asset of the basket now. */
const redeemDestinations = async (): Promise<string[]> => {
  const [assets] = (await index.getFunction('baseTokenset')()) as [string[]];
  const placeholders = custodianByPlaceholder();
  return assets.map((a) => {
    const native = placeholders.get(getAddress(a));
    return native ? nativeKey(stack.file.custody.pmmNativeAddresses[native.chain]!) : ZeroHash;
  });
};
const getRebalance = (id: string) => arb.getFunction('getRebalance')(id) as Promise<{ status: bigint; accepted: boolean; buysDue: bigint; buysAttested: bigint; sellsDue: bigint; sellsAttested: bigint }>;
/** Custodian assets of the deployment by placeholder (checksummed). */
/**
 * Transactions the rebalance-run function has sent: it signs with the operator key, so "sends nothing" is its
 * nonce standing still. (Block height is no measure: the PMM accepts and custody settles on their own.)
 */
const operatorSent = () => provider.getTransactionCount(stack.file.keys.operator!.address, 'latest');
const custodianByPlaceholder = () => new Map(Object.entries(stack.file.custodianAssets!).map(([symbol, a]) => [getAddress(a.address), { symbol, ...a }]));

beforeAll(async () => {
  stack = await startTestStack();
  provider = new JsonRpcProvider(stack.file.rpc, Network.from(stack.file.chainId), { staticNetwork: true, cacheTimeout: -1 });
  index = new Contract(stack.file.indexes['MAG7.ssi']!, INDEX_TOKEN_ABI, provider);
  arb = new Contract(stack.file.contracts.attestedRebalancer!, ATTESTED_REBALANCER_INTERFACE, provider);
  attested = new Contract(stack.file.custody.attestedIssuer!, ATTESTED_ISSUER_INTERFACE, provider);
  // A basket to rebalance: the WLP mints 2 MAG7.ssi through the CLI, the PMM delivers, the custodian attests.
  const minted = await cli('mint', '--index', 'MAG7.ssi', '--amount', '2');
  const requestId = minted.requestId as string;
  await waitFor('the PMM to deliver on every chain', async () => {
    for (const chain of CHAINS) if (!(await transfersOf(chain, stack.file.custody.wallets[chain]!)).transfers.some((t) => t.memo === requestId)) return false;
    return true;
  });
  await finalizeAll();
  await watch();
  await waitFor('the PMM to complete the mint', async () => ((await attested.getFunction('getMintRequest')(requestId)) as { status: bigint }).status === COMPLETED);
}, 900_000);

afterAll(async () => {
  provider?.destroy();
  await stack?.stop();
});

describe('MAG7.ssi rebalances through custodian-attested legs on the local stack', () => {
  const date = '2024-03-01';
  let view: RunView;
  let rebalanceId: string;
  /** Native balances before the run, by symbol: the custodian's wallet and the maker's address. */
  const walletBefore = new Map<string, bigint>();
  const makerBefore = new Map<string, bigint>();

  test('the deploy makes the AttestedRebalancer MAG7.ssi\'s rebalancer over the Rebalancer and the AttestedIssuer', async () => {
    expect(getAddress((await arb.getFunction('rebalancer')()) as string)).toBe(getAddress(stack.file.contracts.rebalancer!));
    expect(getAddress((await arb.getFunction('attestedIssuer')()) as string)).toBe(getAddress(stack.file.custody.attestedIssuer!));
    const role = (await index.getFunction('REBALANCER_ROLE')()) as string;
    expect((await index.getFunction('hasRole')(role, await arb.getAddress())) as boolean).toBe(true);
  });

  /** A redeem of 0.5 MAG7.ssi the WLP requested from a PMM of the test's own, accepted before the rebalance opens. */
  let earlyRedeemId: string;

  test('while an attested redeem of MAG7.ssi awaits acceptance the run waits before opening anything', async () => {
    // The PMM is a fresh account of the test's, so the redeem stays unaccepted until the test accepts it.
    const pmm = Wallet.createRandom().connect(provider);
    await provider.send('hardhat_setBalance', [pmm.address, '0x8ac7230489e80000']);
    const wlp = new Wallet(stack.file.wlp.privateKey, provider);
    const usdc = new Contract(stack.file.tokens.USDC!.address, ERC20_ABI, provider);
    const issuer = await attested.getAddress();
    await (await (usdc.connect(wlp) as Contract).getFunction('transfer')(pmm.address, 1n)).wait();
    await (await (index.connect(wlp) as Contract).getFunction('approve')(issuer, parseUnits('0.5', 18))).wait();
    const requested = await (await (attested.connect(wlp) as Contract).getFunction('requestRedeem')(await index.getAddress(), parseUnits('0.5', 18), await usdc.getAddress(), 1n, pmm.address)).wait();
    earlyRedeemId = attested.interface.parseLog(requested.logs.find((l: { address: string }) => getAddress(l.address) === getAddress(issuer)))!.args.requestId as string;

    const before = await operatorSent();
    await rebalance(date);
    const waiting = await getRun(date);
    expect(waiting.status).toBe('running');
    expect(waiting.step).toBe('fee-check');
    expect(waiting.failure).toBeUndefined();
    expect(await operatorSent()).toBe(before);
    expect(await arb.getFunction('pendingRebalance')(await index.getAddress())).toBe('0x' + '0'.repeat(64));

    await (await (usdc.connect(pmm) as Contract).getFunction('approve')(issuer, 1n)).wait();
    await (await (attested.connect(pmm) as Contract).getFunction('acceptRedeem')(earlyRedeemId, await redeemDestinations())).wait();
    expect(await getRedeem(earlyRedeemId)).toEqual(expect.objectContaining({ status: PENDING, accepted: true }));
  }, 300_000);

  test('the run quotes the PMM under the AttestedRebalancer\'s domain, opens the rebalance (an accepted redeem holds nothing back) and waits for its legs', async () => {
    for (const { symbol, chain } of custodianByPlaceholder().values()) {
      walletBefore.set(symbol, await balanceOn(chain, stack.file.custody.wallets[chain]!, symbol));
      makerBefore.set(symbol, await balanceOn(chain, stack.file.custody.pmmNativeAddresses[chain]!, symbol));
    }
    await rebalance(date);
    view = await getRun(date);
    expect(view.failure).toBeUndefined();
    expect(view.status).toBe('running');
    expect(view.step).toBe('settle');
    expect(getAddress(view.attested!.rebalancer)).toBe(getAddress(stack.file.contracts.attestedRebalancer!));
    expect(view.attested!.rebalanceId).toMatch(/^0x[0-9a-f]{64}$/);
    rebalanceId = view.attested!.rebalanceId!;
    expect(await getRedeem(earlyRedeemId)).toEqual(expect.objectContaining({ status: PENDING, accepted: true }));
    expect(view.plan.empty).toBe(false);
    // The targets weigh the custodian assets, never the local ERC-20s of the same symbols.
    const placeholders = custodianByPlaceholder();
    expect(view.targets.filter((t) => placeholders.has(getAddress(t.asset))).length).toBeGreaterThan(0);
    for (const t of view.targets) if (['BTC', 'SOL', 'XRP', 'DOGE', 'ADA'].includes(t.symbol)) expect(placeholders.has(getAddress(t.asset))).toBe(true);
    expect(await arb.getFunction('pendingRebalance')(await index.getAddress())).toBe(rebalanceId);
    expect(((await index.getFunction('feeState')()) as { rebalancing: boolean }).rebalancing).toBe(true);

    // Another invocation before the legs are attested waits again, sending nothing.
    const before = await operatorSent();
    await rebalance(date);
    expect((await getRun(date)).step).toBe('settle');
    expect(await operatorSent()).toBe(before);
  }, 300_000);

  test('the PMM accepts and delivers; custody-watch attests the buys, releases the sells to the maker and attests them; a redeem requested meanwhile is accepted only after completion; the run completes on target', async () => {
    await waitFor('the PMM to accept', async () => (await getRebalance(rebalanceId)).accepted);
    const placeholders = custodianByPlaceholder();
    const custodianSells = view.plan.sellAssets.map((a, i) => ({ asset: getAddress(a), amount: BigInt(view.plan.sellAmounts[i]!) })).filter((s) => placeholders.has(s.asset));
    const custodianBuys = view.plan.buyAssets.map((a, i) => ({ asset: getAddress(a), amount: BigInt(view.quote.buyAmounts[i]!) })).filter((b) => placeholders.has(b.asset));
    /** What a redeem owes per symbol, fixed at its acceptance. */
    const dueOf = async (requestId: string) => {
      const due = new Map<string, bigint>();
      for (const [placeholder, { symbol }] of placeholders) due.set(symbol, (await attested.getFunction('redeemDue')(requestId, placeholder)) as bigint);
      return due;
    };
    const earlyDue = await dueOf(earlyRedeemId);
    // A small redeem requested while the rebalance is pending: the PMM agrees, but AttestedIssuer refuses to accept it
    // (its burn would shrink the basket the sells were fixed against) until the rebalance ends; the PMM keeps trying.
    const redeemed = await cli('redeem', '--index', 'MAG7.ssi', '--amount', '0.01');
    const redeemId = redeemed.requestId as string;
    await new Promise((r) => setTimeout(r, 2_000)); // a few of the PMM's polls
    expect(await getRedeem(redeemId)).toEqual(expect.objectContaining({ status: PENDING, accepted: false }));
    await expectRevert(
      attested.getFunction('acceptRedeem').staticCall(redeemId, await redeemDestinations(), { from: stack.file.pmm.address }),
      attested,
      'IndexRebalancing',
      [await index.getAddress()],
    );
    // The WLP's status says what the redeem waits for.
    const waiting = ((await cli('status')).attested as Array<{ requestId: string; waiting?: string }>).find((r) => r.requestId === redeemId)!;
    expect(waiting.waiting).toMatch(/MAG7\.ssi is rebalancing: the PMM can accept this redeem only once the rebalance ends/);

    // Nothing waits on the redeem: custody-watch releases the sells (and what the early redeem owes) and the rebalance completes.
    for (let pass = 0; pass < 8 && (await getRebalance(rebalanceId)).status !== COMPLETED; pass++) {
      await finalizeAll();
      await watch();
    }
    const done = await getRebalance(rebalanceId);
    expect(done.status).toBe(COMPLETED);
    expect([done.buysAttested, done.sellsAttested]).toEqual([BigInt(custodianBuys.length), BigInt(custodianSells.length)]);
    expect((await getRedeem(earlyRedeemId)).status).toBe(COMPLETED);

    // Then the PMM's next try is accepted, after the completion, and the redeem completes.
    await waitFor('the PMM to accept the redeem once the rebalance completed', async () => (await getRedeem(redeemId)).accepted);
    const [completedLog] = await arb.queryFilter(arb.filters.RebalanceCompleted!(rebalanceId));
    const [acceptedLog] = await attested.queryFilter(attested.filters.RedeemAccepted!(redeemId));
    expect(acceptedLog!.blockNumber).toBeGreaterThan(completedLog!.blockNumber);
    expect(((await cli('status')).attested as Array<{ requestId: string; waiting?: string }>).find((r) => r.requestId === redeemId)!.waiting).toBeUndefined();
    const lateDue = await dueOf(redeemId);
    await watch(); // releases the redeem's legs
    await finalizeAll();
    await watch(); // attests them: the redeem completes
    expect((await getRedeem(redeemId)).status).toBe(COMPLETED);

    // Native chains: the buys arrived in the custodian wallets, the sells left them for the maker's whitelisted addresses.
    for (const { symbol, chain } of placeholders.values()) {
      const bought = custodianBuys.find((b) => placeholders.get(b.asset)!.symbol === symbol)?.amount ?? 0n;
      const sold = custodianSells.find((s) => placeholders.get(s.asset)!.symbol === symbol)?.amount ?? 0n;
      const redeemedOut = earlyDue.get(symbol)! + lateDue.get(symbol)!;
      expect(await balanceOn(chain, stack.file.custody.wallets[chain]!, symbol)).toBe(walletBefore.get(symbol)! + bought - sold - redeemedOut);
      expect(await balanceOn(chain, stack.file.custody.pmmNativeAddresses[chain]!, symbol)).toBe(makerBefore.get(symbol)! - bought + sold + redeemedOut);
      if (sold > 0n) {
        const out = (await transfersOf(chain, stack.file.custody.wallets[chain]!)).transfers.filter((t) => t.memo === rebalanceId && t.from === stack.file.custody.wallets[chain]);
        expect(out.map((t) => [t.to, BigInt(t.amount)])).toEqual([[stack.file.custody.pmmNativeAddresses[chain], sold]]);
      }
    }
    // Attested custody is what the custodian wallets hold, and covers the new basket.
    const [assets, amounts] = (await index.getFunction('basket')()) as [string[], bigint[]];
    for (const [i, asset] of assets.entries()) {
      const native = placeholders.get(getAddress(asset));
      if (!native) continue;
      const custody = (await attested.getFunction('attestedCustody')(await index.getAddress(), asset)) as bigint;
      expect(custody).toBe(await balanceOn(native.chain, stack.file.custody.wallets[native.chain]!, native.symbol));
      expect(custody).toBeGreaterThanOrEqual(amounts[i]!);
    }
    expect(((await index.getFunction('feeState')()) as { rebalancing: boolean }).rebalancing).toBe(false);

    await rebalance(date);
    const finished = await getRun(date);
    expect(finished.status).toBe('completed');
    expect(finished.steps.map((s) => s.step)).toEqual([...STEPS]);
    expect(finished.attested?.status).toBe('completed');
    expect(finished.check?.ok).toBe(true);
    // The tokenset set at completion, in base units (the fee accrued since then moves only the factor).
    const [tokensetAssets, tokensetUnits] = (await index.getFunction('baseTokenset')()) as [string[], bigint[]];
    expect(finished.settlement.assets).toEqual([...tokensetAssets]);
    expect(finished.settlement.unitAmounts).toEqual(tokensetUnits.map(String));
  }, 600_000);

  test('a rebalance whose legs are not attested by its deadline is cancelled by the next run: it fails, the basket and custody unchanged', async () => {
    const later = '2024-09-01';
    // Base units: the fee frozen while the rebalance was pending is charged once it ends, which moves the factor only.
    const baseUnits = async () => ((await index.getFunction('baseTokenset')()) as [string[], bigint[]]).slice(0, 2) as unknown;
    const tokenset = await baseUnits();
    await rebalance(later);
    const opened = await getRun(later);
    expect(opened.failure).toBeUndefined();
    expect(opened.step).toBe('settle');
    const id = opened.attested!.rebalanceId!;
    await waitFor('the PMM to accept', async () => (await getRebalance(id)).accepted);
    // Custody-watch does not run before the deadline: nothing is attested.
    const timeout = (await attested.getFunction('requestTimeout')()) as bigint;
    await provider.send('evm_increaseTime', [Number(timeout) + 60]);
    await provider.send('evm_mine', []);
    await rebalance(later);

    const failed = await getRun(later);
    expect(failed.status).toBe('failed');
    expect(failed.failure?.step).toBe('confirm');
    expect(failed.failure?.reason).toMatch(/cancelled past its deadline/);
    expect(failed.steps.map((s) => s.step)).toEqual([...STEPS]);
    expect(failed.steps.find((s) => s.step === 'close')?.note).toMatch(/no window/);
    expect((await getRebalance(id)).status).toBe(CANCELLED);
    expect(await baseUnits()).toEqual(tokenset);
    expect(((await index.getFunction('feeState')()) as { rebalancing: boolean }).rebalancing).toBe(false);
    // The maker's escrowed on-chain buys went back.
    for (const symbol of ['ETH', 'BNB']) {
      const token = new Contract(stack.file.tokens[symbol]!.address, ERC20_ABI, provider);
      expect((await token.getFunction('balanceOf')(await arb.getAddress())) as bigint).toBe(0n);
    }
  }, 600_000);
});
