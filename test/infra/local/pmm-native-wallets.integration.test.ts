import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLedgerSimulators } from '../../../infra/local/ledger-simulators';
import { PmmNativeWallets, type NativeAsset } from '../../../infra/local/pmm-native-wallets';

const INVENTORY: Array<NativeAsset & { amount: bigint }> = [
  { chain: 'bitcoin', asset: 'BTC', amount: 100_000_000n },
  { chain: 'solana', asset: 'SOL', amount: 5_000_000_000n },
  { chain: 'xrpl', asset: 'XRP', amount: 9_000_000n },
];

describe("the PMM simulator's native wallets", () => {
  it('find the same addresses and inventory after a restart over kept ledgers, without minting it again', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'ssi-pmm-native-')), 'ledgers.json');
    const first = await startLedgerSimulators({ stateFile });
    let addresses: Record<string, string>;
    try {
      const wallets = await PmmNativeWallets.open(first.url, INVENTORY);
      addresses = { ...wallets.addresses };
      const custodian = first.ledgers.bitcoin.newAddress();
      const [sent] = await wallets.deliver('0xrequest', [{ chain: 'bitcoin', asset: 'BTC', to: custodian, amount: 40_000_000n }]);
      expect(first.ledgers.bitcoin.transaction(sent!.txId)).toEqual(expect.objectContaining({ from: addresses.bitcoin, memo: '0xrequest' }));
      // A second PMM under another label has wallets of its own.
      const other = await PmmNativeWallets.open(first.url, INVENTORY, 'another-pmm');
      expect(other.addresses.bitcoin).not.toBe(addresses.bitcoin);
    } finally {
      await first.close();
    }

    const second = await startLedgerSimulators({ stateFile });
    try {
      const again = await PmmNativeWallets.open(second.url, INVENTORY);
      expect(again.addresses).toEqual(addresses);
      expect(second.ledgers.bitcoin.balance(addresses.bitcoin!, 'BTC')).toBe(60_000_000n);
      expect(second.ledgers.solana.balance(addresses.solana!, 'SOL')).toBe(5_000_000_000n);
      expect(second.ledgers.xrpl.balance(addresses.xrpl!, 'XRP')).toBe(9_000_000n);
    } finally {
      await second.close();
    }
  });
});
