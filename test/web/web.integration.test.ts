import path from 'node:path';
import { JsonRpcProvider, Network, Wallet } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { SHOTS, WIDTHS, injectTestWallet, launchChromium } from '../helpers/browser';
import { startTestStack, type TestStack } from '../helpers/stack';
import { mintOnLocalStack } from '../helpers/local-mint';
import { webBacktests } from '../../scripts/web-backtests';
import { addDays, dayOf } from '../../lambdas/domain/points/calendar';
import { DEFAULT_POINTS_CONFIG_INPUT } from '../../lambdas/domain/points/config';

const ONE = 10n ** 18n;
const CHECKS = ['report-hash', 'signature', 'block', 'recompute', 'registry'];

describe('the web app on the local stack, in Debian Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let minted: { id: string };
  let history: { days: Array<{ day: string; block: number; navUsd: string }> };

  beforeAll(async () => {
    // Epoch 1 is yesterday, so the points snapshot records a day (and with it the indexes' NAVs).
    process.env.SSI_POINTS_CONFIG = JSON.stringify({ ...DEFAULT_POINTS_CONFIG_INPUT, epochs: { genesis: addDays(dayOf(new Date()), -1), lengthDays: 1, first: 1 } });
    stack = await startTestStack();
    minted = await mintOnLocalStack(stack, { index: 'DEFI.ssi', amount: 2n * ONE });
    // MAG7.ssi holds custodian assets: its report needs the custodian's signed statements of the day, stored by their schedule before the publisher runs.
    expect((await stack.scheduler.run('custody-statements')).lastRun).toMatchObject({ ok: true });
    const state = await stack.scheduler.run('reserve-publisher');
    expect(state.lastRun).toMatchObject({ ok: true });
    expect((await stack.scheduler.run('points-snapshot')).lastRun).toMatchObject({ ok: true });
    history = (await (await stack.api('/v1/indexes/DEFI.ssi/history')).json()) as typeof history;
    browser = await launchChromium();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    delete process.env.SSI_POINTS_CONFIG;
  });

  /** A page at `width`, recording console errors (a CSP refusal shows up there). */
  async function open(width: keyof typeof WIDTHS, hash: string, prepare?: (page: Page) => Promise<unknown>, ready = hash) {
    const context = await browser.newContext({ viewport: WIDTHS[width] });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
    page.on('pageerror', (error) => void errors.push(error.message));
    await prepare?.(page);
    await page.goto(`${stack.file.api}/${hash}`);
    await page.locator(`main[data-ready="${ready}"]`).waitFor({ timeout: 60_000 });
    return { page, errors, close: () => context.close() };
  }

  test('the stack serves the app at / with security headers and the API and RPC URLs in /config.json', async () => {
    const index = await stack.api('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = index.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`connect-src 'self' ${stack.file.api} ${new URL(stack.file.rpc).origin};`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await (await stack.api('/config.json')).json()).toEqual({ api: stack.file.api, rpc: stack.file.rpc, chainId: stack.file.chainId });
    expect((await stack.api('/app.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await stack.api('/nothing.js')).status).toBe(404);
    // API routes still reach their handlers.
    expect((await stack.api('/v1/indexes')).status).toBe(200);
  });

  test.each(Object.keys(WIDTHS) as Array<keyof typeof WIDTHS>)('the indexes page shows DEFI.ssi with its NAV and basket (%s)', async (width) => {
    const api = (await (await stack.api('/v1/indexes')).json()) as { indexes: Array<{ symbol: string; tokenset: Array<{ symbol: string }> }> };
    const defi = api.indexes.find((i) => i.symbol === 'DEFI.ssi')!;
    const { page, errors, close } = await open(width, '#/indexes');
    try {
      const card = page.locator('section.card', { has: page.getByRole('heading', { name: /DEFI\.ssi/ }) });
      await expect(card.count()).resolves.toBe(1);
      await expect(card.getByText(/^\$[\d,]+\.\d\d USD$/).first().isVisible()).resolves.toBe(true);
      const rows = card.locator('tbody tr');
      expect(await rows.count()).toBe(defi.tokenset.length);
      for (const [i, leg] of defi.tokenset.entries()) {
        const cells = await rows.nth(i).locator('th, td').allInnerTexts();
        expect(cells[0]).toBe(leg.symbol);
        expect(cells[1]).toMatch(new RegExp(` ${leg.symbol.replace('.', '\\.')}$`));
        expect(cells[2]).toMatch(/^\d+\.\d\d %$/);
      }
      const weights = (await rows.locator('td:nth-of-type(2)').allInnerTexts()).map((t) => parseFloat(t));
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
      await expect(page.locator('p.source').innerText()).resolves.toMatch(/at block \d+/);
      expect(errors).toEqual([]);
      // nothing wider than the screen: no sideways scrolling on a phone
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBe(WIDTHS[width].width);
      await page.screenshot({ path: path.join(SHOTS, `indexes-${width}.png`), fullPage: true });
    } finally {
      await close();
    }
  }, 120_000);

  test.each(Object.keys(WIDTHS) as Array<keyof typeof WIDTHS>)('an index page shows NAV, basket, methodology and the backtest chart (%s)', async (width) => {
    const backtests = (await (await stack.api('/backtests.json')).json()) as Array<{ index: string; start: string; end: string; levels: unknown[] }>;
    const test = backtests.find((b) => b.index === 'DEFI.ssi')!;
    const api = (await (await stack.api('/v1/indexes')).json()) as { indexes: Array<{ symbol: string; name: string }> };
    const { page, errors, close } = await open(width, '#/index?symbol=DEFI.ssi', undefined, '#/index');
    try {
      await expect(page.locator('h1').innerText()).resolves.toBe(`${api.indexes.find((i) => i.symbol === 'DEFI.ssi')!.name} (DEFI.ssi)`);
      await expect(page.locator('.facts dd').first().innerText()).resolves.toMatch(/^\$[\d,]+\.\d\d USD$/);
      const weights = (await page.locator('section[aria-labelledby="nav-heading"] table tbody tr td:nth-of-type(2)').allInnerTexts()).map((t) => parseFloat(t));
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
      // the live history: the day the snapshot recorded, drawn by the same chart code, with its unit and block
      expect(history.days).toHaveLength(1);
      const [day] = history.days;
      const live = page.locator('#history svg.chart');
      await expect(live.locator('title').textContent()).resolves.toBe(`DEFI.ssi NAV per token, ${day!.day} to ${day!.day}`);
      await expect(live.locator('polyline').evaluateAll((lines) => lines.map((l) => l.getAttribute('points')!.split(' ').length))).resolves.toEqual([1]);
      await expect(live.locator('circle.dot').count()).resolves.toBe(1);
      const nav = `$${Number(day!.navUsd).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
      await expect(page.locator('#history .facts dd').nth(1).innerText()).resolves.toBe(`${nav} USD per token at block ${day!.block}`);
      await expect(page.locator('#history p.source').innerText()).resolves.toContain(`blocks ${day!.block} to ${day!.block}`);
      await expect(page.locator('#methodology h2').innerText()).resolves.toBe('Methodology (version 1)');
      await expect(page.locator('#methodology').innerText()).resolves.toContain('the 10 largest by circulating market cap');
      await expect(page.locator('#methodology').innerText()).resolves.toContain('capped at 30 %');
      // the chart: one line per series, one point per published level, named for screen readers
      const chart = page.locator('#backtest svg.chart');
      await expect(chart.getAttribute('role')).resolves.toBe('img');
      await expect(chart.locator('title').textContent()).resolves.toBe(`DEFI.ssi backtest against BTC held, ${test.start} to ${test.end}`);
      const points = await chart.locator('polyline').evaluateAll((lines) => lines.map((l) => l.getAttribute('points')!.split(' ').length));
      expect(points).toEqual([test.levels.length, test.levels.length]);
      await expect(page.locator('#backtest p.source').innerText()).resolves.toContain('a simulation, not the token');
      expect(errors).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBe(WIDTHS[width].width);
      await page.screenshot({ path: path.join(SHOTS, `index-detail-${width}.png`), fullPage: true });
    } finally {
      await close();
    }
  }, 120_000);

  test('a WLP reads its mint quote on the index page: used once settled; a wrong key is refused in words', async () => {
    const { page, close } = await open('desktop', '#/index?symbol=DEFI.ssi', undefined, '#/index');
    try {
      await page.locator('#wlp-key').fill('not-the-key');
      await page.locator('#quote-id').fill(minted.id);
      await page.locator('#quote-id').press('Enter');
      await expect(page.locator('#quote-status .error').innerText()).resolves.toBe('The API refused this key.');
      await page.locator('#wlp-key').fill(stack.file.wlp.apiKey);
      await page.locator('#wlp-key').press('Enter');
      const status = page.locator('#quote-status .facts dd');
      await status.first().filter({ hasText: 'used' }).waitFor({ timeout: 60_000 });
      await expect(status.nth(2).innerText()).resolves.toBe('mint 2 DEFI.ssi');
      await page.screenshot({ path: path.join(SHOTS, 'index-quote-status-desktop.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 120_000);

  test('a WLP connected with its wallet sees its own mint request as filled, with the transaction, read from the Issuer events (no API key)', async () => {
    const rpc = new JsonRpcProvider(stack.file.rpc, Network.from(stack.file.chainId), { staticNetwork: true, cacheTimeout: -1 });
    const wlp = new Wallet(stack.file.wlp.privateKey).address;
    const { page, errors, close } = await open('desktop', '#/index?symbol=DEFI.ssi', (page) =>
      injectTestWallet(page, async (method, params) => {
        if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [wlp];
        if (method === 'eth_chainId') return `0x${stack.file.chainId.toString(16)}`;
        return rpc.send(method, params);
      }), '#/index');
    try {
      await expect(page.locator('#requests .lead').first().innerText()).resolves.toContain('connects its wallet');
      await page.locator('#connect-requests').click();
      const row = page.locator(`#requests tr[data-order="${minted.id}"]`);
      await row.waitFor({ timeout: 60_000 });
      await expect(row.getAttribute('data-status')).resolves.toBe('filled');
      const cells = await row.locator('th, td').allInnerTexts();
      expect(cells.slice(0, 2)).toEqual([minted.id, 'mint 2 DEFI.ssi']);
      expect(cells[2]).toMatch(/^[\d,.]+ \S+$/);
      expect(cells[3]).toBe('filled');
      const tx = /^filled: (0x[0-9a-f]{64})$/.exec(cells[4]!)![1]!;
      // The hash shown is the transaction whose Minted event carries this order hash and requester.
      const receipt = (await rpc.getTransactionReceipt(tx))!;
      expect(receipt.logs.some((log) => log.address.toLowerCase() === stack.file.contracts.issuer!.toLowerCase() && log.topics[1] === minted.id && log.topics[3]!.toLowerCase().endsWith(wlp.slice(2).toLowerCase()))).toBe(true);
      await expect(page.locator('#requests p.source').innerText()).resolves.toContain(`requester ${wlp}`);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(SHOTS, 'index-requests-desktop.png'), fullPage: true });
    } finally {
      await close();
      rpc.destroy();
    }
  }, 120_000);

  test('web/backtests.json is what the methodologies give over the market data today (npm run web:backtests)', async () => {
    const served = await (await stack.api('/backtests.json')).json();
    expect(served).toEqual(JSON.parse(JSON.stringify(webBacktests())));
  }, 180_000);

  test.each(Object.keys(WIDTHS) as Array<keyof typeof WIDTHS>)('the reserves page verifies every published report in the browser: all checks passed (%s)', async (width) => {
    const { page, errors, close } = await open(width, '#/reserves');
    try {
      await expect(page.locator('#overall').innerText()).resolves.toBe('all checks passed');
      const cards = page.locator('section.card');
      expect(await cards.count()).toBe(Object.keys(stack.file.indexes).length);
      const defi = page.locator('section.card[data-index="DEFI.ssi"]');
      await expect(defi.locator('.verdict').innerText()).resolves.toBe('all checks passed');
      expect(await defi.locator('li[data-check]').evaluateAll((items) => items.map((i) => i.getAttribute('data-check')))).toEqual(CHECKS);
      expect(await defi.locator('li .status').allInnerTexts()).toEqual(CHECKS.map(() => 'PASS'));
      expect(errors).toEqual([]);
      // nothing wider than the screen: no sideways scrolling on a phone
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBe(WIDTHS[width].width);
      await page.screenshot({ path: path.join(SHOTS, `reserves-${width}.png`), fullPage: true });
    } finally {
      await close();
    }
  }, 180_000);

  test('a report altered on its way to the browser fails its hash and recomputation checks, not its signature', async () => {
    const { page, close } = await open('desktop', '#/reserves', (p) =>
      p.route('**/v1/reserves/latest', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { reports: Array<{ report: { index: { symbol: string }; totalSupply: string } }> };
        const report = body.reports.find((r) => r.report.index.symbol === 'DEFI.ssi')!.report;
        expect(typeof report.totalSupply).toBe('string');
        report.totalSupply = (BigInt(report.totalSupply) + 1n).toString();
        await route.fulfill({ response, json: body });
      }),
    );
    try {
      await expect(page.locator('#overall').innerText()).resolves.toMatch(/^FAILED/);
      const defi = page.locator('section.card[data-index="DEFI.ssi"]');
      await expect(defi.locator('.verdict').innerText()).resolves.toMatch(/^FAILED: 2 of 5 checks$/);
      const status = async (check: string) => defi.locator(`li[data-check="${check}"] .status`).innerText();
      await expect(status('report-hash')).resolves.toBe('FAIL');
      await expect(status('recompute')).resolves.toBe('FAIL');
      await expect(status('signature')).resolves.toBe('PASS');
      await expect(defi.locator('li[data-check="report-hash"] .reason').innerText()).resolves.toContain('the report was altered');
      // another index's untouched report still passes (MAG7.ssi's, custodian statements included)
      await expect(page.locator('section.card[data-index="MAG7.ssi"] .verdict').innerText()).resolves.toBe('all checks passed');
      await page.screenshot({ path: path.join(SHOTS, 'reserves-tampered-desktop.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 180_000);

  test('a holder typed into the reserves page gets its inclusion proof checked against the signed root and the chain', async () => {
    const holder = new Wallet(stack.file.wlp.privateKey).address;
    const { page, errors, close } = await open('desktop', '#/reserves');
    try {
      await page.locator('main[data-ready="#/reserves"]').waitFor({ timeout: 120_000 });
      await page.locator('#holder').fill(holder);
      await page.locator('#holder').press('Enter');
      const defi = page.locator('section.card[data-index="DEFI.ssi"]');
      const proof = defi.locator('li[data-check="holder-proof"]');
      await proof.waitFor({ timeout: 120_000 });
      expect(new URL(page.url()).hash).toBe(`#/reserves?holder=${holder}`);
      await expect(proof.locator('.status').innerText()).resolves.toBe('PASS');
      await expect(proof.locator('.reason').innerText()).resolves.toContain('is included and matches the chain');
      await expect(page.locator('#overall').innerText()).resolves.toBe('all checks passed');
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(SHOTS, 'reserves-holder-desktop.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 240_000);

  test('keyboard only: Tab reaches the skip link then the page links, Enter follows them, focus is visible', async () => {
    const { page, close } = await open('desktop', '#/indexes');
    try {
      // landmarks: one banner, one named navigation with every page, one main
      await expect(page.getByRole('banner').count()).resolves.toBe(1);
      await expect(page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allInnerTexts()).resolves.toEqual(['Indexes', 'Reserves', 'Portfolio', 'Rewards']);
      await expect(page.getByRole('main').count()).resolves.toBe(1);
      await page.keyboard.press('Tab');
      await expect(page.evaluate<string>('document.activeElement.textContent')).resolves.toBe('Skip to content');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await expect(page.evaluate<string>('document.activeElement.textContent')).resolves.toBe('Reserves');
      const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
      expect(outline).toBe('solid');
      await page.keyboard.press('Enter');
      await page.locator('main[data-ready="#/reserves"]').waitFor({ timeout: 60_000 });
      expect(new URL(page.url()).hash).toBe('#/reserves');
      await expect(page.locator('a[aria-current="page"]').innerText()).resolves.toBe('Reserves');
    } finally {
      await close();
    }
  }, 120_000);
});
