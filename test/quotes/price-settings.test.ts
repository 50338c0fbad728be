import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { priceSettings, priceSourceFromSettings } from '../../lambdas/quotes/prices';
import { ConfigError } from '../../lambdas/shared/errors';

const parse = (env: Record<string, string>) => z.object(priceSettings).parse(env);

describe('priceSourceFromSettings (the one reference-price factory)', () => {
  it('serves a fixed price file named by SSI_PRICE_FILE', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ssi-prices-')), 'prices.json');
    writeFileSync(file, JSON.stringify({ BTC: 60000, ETH: 3000 }));
    const source = priceSourceFromSettings(parse({ SSI_PRICE_SOURCE: 'file', SSI_PRICE_FILE: file }), []);
    await source.ready();
    expect(source.description.kind).toBe('file');
    expect(source.priceOf('ETH')?.priceUsd).toBe(3000);
    expect(source.priceOf('DOGE')).toBeUndefined();
  });

  it.each([
    ['file', 'SSI_PRICE_FILE'],
    ['http', 'SSI_PRICE_URL'],
  ])('refuses SSI_PRICE_SOURCE=%s without %s, naming the setting', (kind, setting) => {
    const call = () => priceSourceFromSettings(parse({ SSI_PRICE_SOURCE: kind }), []);
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(`${setting} is needed with SSI_PRICE_SOURCE=${kind}`);
  });

  it('refuses an unknown source kind at parse time', () => {
    expect(() => parse({ SSI_PRICE_SOURCE: 'folder' })).toThrow(/SSI_PRICE_SOURCE|Invalid enum/);
  });
});
