/** Debian's headless Chromium for the web app's browser tests, and where and at which sizes they take screenshots. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const SHOTS = path.resolve(__dirname, '../../reports/screenshots');
export const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

/** Launches /usr/bin/chromium headless, with nothing reaching out to the network on its own, and makes the screenshot folder. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Gives every page of `target` (a context, or one page before it navigates) a test wallet: a `window.ethereum` whose EIP-1193 requests are
 * answered in the test process by `answer`. An error thrown there reaches the page as the
 * provider's error, with its numeric `code` (4001: the user rejected) or -32603.
 */
export async function injectTestWallet(target: BrowserContext | Page, answer: (method: string, params: unknown[]) => Promise<unknown>): Promise<void> {
  await target.exposeFunction('__testWallet', async ({ method, params }: { method: string; params?: unknown[] }) => {
    try {
      return { result: await answer(method, params ?? []) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { error: { code: typeof code === 'number' ? code : -32603, message: (error as Error).message } };
    }
  });
  await target.addInitScript(() => {
    const call = (globalThis as unknown as { __testWallet: (a: unknown) => Promise<{ result?: unknown; error?: { code: number; message: string } }> }).__testWallet;
    (globalThis as unknown as { ethereum: unknown }).ethereum = {
      request: async (args: unknown) => {
        const reply = await call(args);
        if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
        return reply.result;
      },
    };
  });
}
