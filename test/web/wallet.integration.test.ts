import path from 'node:path';
import { Contract, JsonRpcProvider, Network, Wallet } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { SHOTS, WIDTHS, injectTestWallet, launchChromium } from '../helpers/browser';
import { startTestStack, type TestStack } from '../helpers/stack';
import { mintOnLocalStack } from '../helpers/local-mint';
import { addDays, dayOf } from '../../lambdas/domain/points/calendar';
import { DEFAULT_POINTS_CONFIG_INPUT } from '../../lambdas/domain/points/config';

const ONE = 10n ** 18n;
const DISTRIBUTOR_ABI = ['function claimedOf(address) view returns (uint256)'];
const STAKE_ABI = ['function balanceOf(address) view returns (uint256)', 'function cooldownsOf(address) view returns ((uint256 id, uint256 amount, uint64 endsAt)[])', 'function cooldownDuration() view returns (uint64)'];

/** How the test wallet answers: the chain id it claims, and whether it refuses to send. */
interface WalletBehaviour {
  chainId: number;
  reject: boolean;
}

describe('the portfolio page with a test wallet (an injected EIP-1193 provider backed by a funded account)', () => {
  let stack: TestStack;
  let browser: Browser;
  let rpc: JsonRpcProvider;
  let holder: Wallet;
  let sToken: Contract;

  beforeAll(async () => {
    // Epoch 1 is yesterday, one day long, so the last test can snapshot it, close it and claim its reward.
    process.env.SSI_POINTS_CONFIG = JSON.stringify({ ...DEFAULT_POINTS_CONFIG_INPUT, epochs: { genesis: addDays(dayOf(new Date()), -1), lengthDays: 1, first: 1 } });
    stack = await startTestStack();
    rpc = new JsonRpcProvider(stack.file.rpc, Network.from(stack.file.chainId), { staticNetwork: true, cacheTimeout: -1 });
    holder = new Wallet(Wallet.createRandom().privateKey, rpc);
    // Gas money from the local WLP (a funded Hardhat account), then one DEFI.ssi minted through the quote API.
    await (await new Wallet(stack.file.wlp.privateKey, rpc).sendTransaction({ to: holder.address, value: ONE })).wait();
    await mintOnLocalStack(stack, { index: 'DEFI.ssi', amount: ONE, to: holder.address });
    sToken = new Contract(stack.file.contracts['sDEFI.ssi']!, STAKE_ABI, rpc);
    browser = await launchChromium();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
    rpc?.destroy();
    await stack?.stop();
    delete process.env.SSI_POINTS_CONFIG;
  });

  /**
   * A page whose `window.ethereum` forwards every request to this process: accounts and the chain id
   * are answered here, eth_sendTransaction is signed and sent by `holder`, the rest goes to the stack's RPC.
   */
  async function open(width: keyof typeof WIDTHS, behaviour: WalletBehaviour, hash = '#/portfolio') {
    const context = await browser.newContext({ viewport: WIDTHS[width] });
    const errors: string[] = [];
    await injectTestWallet(context, async (method, params) => {
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [holder.address];
      if (method === 'eth_chainId') return `0x${behaviour.chainId.toString(16)}`;
      if (method === 'eth_sendTransaction') {
        if (behaviour.reject) throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
        const tx = params[0] as { to: string; data?: string; value?: string; gas?: string };
        const sent = await holder.sendTransaction({ to: tx.to, data: tx.data, value: tx.value ? BigInt(tx.value) : undefined, gasLimit: tx.gas ? BigInt(tx.gas) : undefined });
        return sent.hash;
      }
      return rpc.send(method, params);
    });
    const page = await context.newPage();
    page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
    page.on('pageerror', (error) => void errors.push(error.message));
    await page.goto(`${stack.file.api}/${hash}`);
    await page.locator(`main[data-ready="${hash}"]`).waitFor({ timeout: 60_000 });
    return { page, errors, close: () => context.close() };
  }

  const card = (page: Page) => page.locator('section.card[data-index="DEFI.ssi"]');
  const fact = (page: Page, label: string) => card(page).locator('.facts div', { has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd');

  test('a wallet on another chain is refused with a wrong-chain error naming both chains', async () => {
    const { page, close } = await open('desktop', { chainId: 1, reject: false });
    try {
      await page.locator('#connect').click();
      await page.locator('#wallet-error', { hasText: 'Wrong chain' }).waitFor({ timeout: 30_000 });
      await expect(page.locator('#wallet-error').innerText()).resolves.toBe(
        `Wrong chain: your wallet is on chain 1, this deployment is on chain ${stack.file.chainId}. Switch networks in your wallet and try again.`,
      );
      await expect(page.locator('#connect').innerText()).resolves.toBe('Connect wallet');
      await page.screenshot({ path: path.join(SHOTS, 'portfolio-wrong-chain-desktop.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 120_000);

  test('connects, refuses more than it holds, reports a rejected signature, stakes, then unstakes and shows the cooldown with its end time', async () => {
    const behaviour = { chainId: stack.file.chainId, reject: false };
    const { page, errors, close } = await open('desktop', behaviour);
    try {
      await page.locator('#connect').focus();
      await page.keyboard.press('Enter');
      await page.locator('#account').waitFor({ timeout: 60_000 });
      await expect(page.locator('#account').innerText()).resolves.toBe(holder.address);
      await expect(fact(page, 'Held').innerText()).resolves.toMatch(/^1 DEFI\.ssi \(\$[\d,]+\.\d\d USD\)$/);
      await expect(fact(page, 'Staked').innerText()).resolves.toMatch(/^0 sDEFI\.ssi /);

      // more than the wallet holds: refused before the wallet is asked
      await page.locator('#stake-DEFI\\.ssi').fill('5');
      await page.locator('#stake-DEFI\\.ssi').press('Enter');
      const status = card(page).locator('[data-status="DEFI.ssi"]');
      await expect(status.filter({ hasText: 'Insufficient' }).innerText()).resolves.toBe('Insufficient balance: you hold 1 DEFI.ssi, not 5 DEFI.ssi.');

      // the wallet refuses to sign
      behaviour.reject = true;
      await page.locator('#stake-DEFI\\.ssi').fill('1');
      await page.locator('#stake-DEFI\\.ssi').press('Enter');
      await expect(status.filter({ hasText: 'rejected' }).innerText()).resolves.toBe('You rejected the request in your wallet: nothing was signed or sent.');
      expect(await sToken.getFunction('balanceOf')(holder.address)).toBe(0n);

      behaviour.reject = false;
      await page.locator('#stake-DEFI\\.ssi').fill('1');
      await page.locator('#stake-DEFI\\.ssi').press('Enter');
      await page.locator('#done').waitFor({ timeout: 120_000 });
      await expect(page.locator('#done').innerText()).resolves.toMatch(/^Staked 1 DEFI\.ssi in block \d+\.$/);
      expect(await sToken.getFunction('balanceOf')(holder.address)).toBe(ONE);
      await expect(fact(page, 'Staked').innerText()).resolves.toMatch(/^1 sDEFI\.ssi \(\$[\d,]+\.\d\d USD\)$/);
      await expect(fact(page, 'Held').innerText()).resolves.toMatch(/^0 DEFI\.ssi /);

      await page.locator('#unstake-DEFI\\.ssi').fill('0.4');
      await page.locator('#unstake-DEFI\\.ssi').press('Enter');
      await page.locator('table.cooldowns').waitFor({ timeout: 120_000 });
      await expect(page.locator('#done').innerText()).resolves.toMatch(/^Unstaked 0\.4 sDEFI\.ssi in block \d+: its cooldown has started\.$/);
      const [request] = (await sToken.getFunction('cooldownsOf')(holder.address)) as Array<{ id: bigint; amount: bigint; endsAt: bigint }>;
      const duration = (await sToken.getFunction('cooldownDuration')()) as bigint;
      const row = page.locator(`table.cooldowns tr[data-request="${request!.id}"]`);
      await expect(row.locator('td').nth(0).innerText()).resolves.toBe('0.4 DEFI.ssi');
      const ends = `${new Date(Number(request!.endsAt) * 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
      await expect(row.locator('.ends').innerText()).resolves.toBe(ends);
      const days = Math.floor(Number(duration) / 86_400);
      await expect(row.locator('.clock').innerText()).resolves.toMatch(new RegExp(`^(${days}|${days - 1}) d \\d+ h \\d+ min left$`));
      await expect(fact(page, 'Staked').innerText()).resolves.toMatch(/^0\.6 sDEFI\.ssi /);
      await expect(fact(page, 'In cooldown').innerText()).resolves.toMatch(/^0\.4 DEFI\.ssi /);

      // withdrawing before the request matures is refused in words, with the end time, before the wallet is asked
      await page.locator('#withdraw-DEFI\\.ssi').click();
      await expect(status.filter({ hasText: 'Still cooling down' }).innerText()).resolves.toBe(`Still cooling down: no request has matured yet (the next ends ${ends}).`);
      await expect(page.locator('#withdraw-DEFI\\.ssi').isEnabled()).resolves.toBe(true);

      // points and the boost tier, with units and the block they were read at
      const standing = page.locator('#standing');
      const standingFact = (label: string) => standing.locator('.facts div', { has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd');
      await expect(standingFact('Points').innerText()).resolves.toMatch(/^[\d.]+ points$/);
      await expect(standingFact('Boost').innerText()).resolves.toMatch(/^tier 1 of \d: 1x points \(\$0\.00 USD of staked SOSO against \$[\d,]+\.\d\d USD of index tokens; next tier at \$[\d.]+ of staked SOSO per \$1 of index tokens: [\d.]+x\)$/);
      await expect(standingFact('Locked').innerText()).resolves.toBe('nothing');
      await expect(page.locator('p.source').innerText()).resolves.toMatch(/^Source: GET \/v1\/portfolio at block \d+ /);
      expect(errors).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBe(WIDTHS.desktop.width);
      await page.screenshot({ path: path.join(SHOTS, 'portfolio-desktop.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 300_000);

  test('the portfolio with its cooldown reads on a phone', async () => {
    const { page, errors, close } = await open('phone', { chainId: stack.file.chainId, reject: false });
    try {
      await page.locator('#connect').click();
      await page.locator('table.cooldowns').waitFor({ timeout: 60_000 });
      expect(errors).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBe(WIDTHS.phone.width);
      await page.screenshot({ path: path.join(SHOTS, 'portfolio-phone.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 120_000);

  test('after the epoch closes, its reward is claimed through the wallet on the rewards page, which then shows it paid', async () => {
    expect((await stack.scheduler.run('points-snapshot')).lastRun).toMatchObject({ ok: true });
    expect((await stack.scheduler.run('epoch-close')).lastRun).toMatchObject({ ok: true });
    const rewards = (await (await stack.api(`/v1/rewards/${holder.address}`)).json()) as { epoch: number; cumulativeAmount: string; claimable: string };
    expect(rewards.epoch).toBe(1);
    expect(BigInt(rewards.claimable)).toBeGreaterThan(0n);
    // past the root's activation delay
    await rpc.send('evm_increaseTime', [24 * 3600 + 1]);
    await rpc.send('evm_mine', []);
    const { page, errors, close } = await open('desktop', { chainId: stack.file.chainId, reject: false }, '#/rewards');
    try {
      await page.locator('#connect').click();
      await page.locator('#claim').waitFor({ timeout: 60_000 });
      await expect(page.locator('#rewards .facts dd').nth(0).innerText()).resolves.toBe('epoch 1');
      await expect(page.locator('table.epochs tr[data-epoch="1"] td').nth(1).innerText()).resolves.toBe('published');
      await page.screenshot({ path: path.join(SHOTS, 'rewards-desktop.png'), fullPage: true });
      await page.locator('#claim').click();
      await page.locator('#done').waitFor({ timeout: 120_000 });
      await expect(page.locator('#done').innerText()).resolves.toMatch(/^Claimed [\d,.]+ SOSO in block \d+\.$/);
      const distributor = new Contract(stack.file.contracts.rewardsDistributor!, DISTRIBUTOR_ABI, rpc);
      expect(await distributor.getFunction('claimedOf')(holder.address)).toBe(BigInt(rewards.cumulativeAmount));
      await expect(page.locator('#rewards .facts dd').nth(3).innerText()).resolves.toBe('0 SOSO');
      expect(await page.locator('#claim').count()).toBe(0);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(SHOTS, 'rewards-claimed-desktop.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 300_000);

  test('the rewards page reads on a phone', async () => {
    const { page, errors, close } = await open('phone', { chainId: stack.file.chainId, reject: false }, '#/rewards');
    try {
      await page.locator('#connect').click();
      await page.locator('table.epochs').waitFor({ timeout: 60_000 });
      expect(errors).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBe(WIDTHS.phone.width);
      await page.screenshot({ path: path.join(SHOTS, 'rewards-phone.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 120_000);

  test('once the cooldown has run out on chain, Withdraw pays the matured request back', async () => {
    const duration = (await sToken.getFunction('cooldownDuration')()) as bigint;
    await rpc.send('evm_increaseTime', [Number(duration) + 1]);
    await rpc.send('evm_mine', []);
    const token = new Contract(stack.file.indexes['DEFI.ssi']!, ['function balanceOf(address) view returns (uint256)'], rpc);
    const before = (await token.getFunction('balanceOf')(holder.address)) as bigint;
    const { page, errors, close } = await open('desktop', { chainId: stack.file.chainId, reject: false });
    try {
      await page.locator('#connect').click();
      await page.locator('table.cooldowns .clock', { hasText: 'withdrawable' }).waitFor({ timeout: 60_000 });
      await page.locator('#withdraw-DEFI\\.ssi').click();
      await page.locator('#done').waitFor({ timeout: 120_000 });
      await expect(page.locator('#done').innerText()).resolves.toMatch(/^Withdrew 0\.4 DEFI\.ssi in block \d+\.$/);
      expect((await token.getFunction('balanceOf')(holder.address)) - before).toBe((4n * ONE) / 10n);
      expect(await sToken.getFunction('cooldownsOf')(holder.address)).toHaveLength(0);
      expect(await page.locator('table.cooldowns').count()).toBe(0);
      await expect(fact(page, 'In cooldown').innerText()).resolves.toMatch(/^0 DEFI\.ssi /);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(SHOTS, 'portfolio-withdrawn-desktop.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 300_000);
});
