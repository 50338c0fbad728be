import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import { Wallet, verifyTypedData, hexlify, randomBytes } from 'ethers';
import { startKmsServer, type RunningKms } from '../../../infra/local/kms-server';
import { KmsSigner } from '../../../lambdas/signing/kms-signer';
import { CustodianService } from '../../../lambdas/custody/service';
import { CUSTODY_LEG_TYPES, LegDirection, custodyDomain, nativeKey } from '../../../lambdas/domain/custody/attestation';
import type { CustodianAdapter, NativeTransfer, WalletBalances } from '../../../lambdas/domain/custody/port';
import { BALANCE_STATEMENT_TYPES, fromStored, statementDomain, verifyStatement } from '../../../lambdas/domain/custody/statement';

const BTC_WALLET = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
const PMM_BTC = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa';
const CHAIN_ID = 31337;

/** The boundary stubbed: balances as a custodian would report them. */
const adapter: CustodianAdapter = {
  watch: async () => ({ transfers: [], cursor: 0n }),
  release: async () => ({ txId: 'unused' }),
  transaction: async () => undefined,
  whitelist: async () => [],
  balances: async (chain, wallets): Promise<WalletBalances> => ({
    chain,
    height: 840_000n,
    balances: wallets.map((wallet) => ({ wallet, asset: 'BTC', amount: 12_345_678n })),
  }),
};

const transfer: NativeTransfer = {
  chain: 'bitcoin',
  asset: 'BTC',
  txId: 'a'.repeat(64),
  wallet: BTC_WALLET,
  counterparty: PMM_BTC,
  direction: 'in',
  amount: 50_000_000n,
  height: 840_001n,
  final: true,
};

let running: RunningKms;
let kms: KMSClient;
let signer: KmsSigner;
let service: CustodianService;

beforeAll(async () => {
  running = await startKmsServer({ port: 0 });
  kms = new KMSClient({ endpoint: running.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const created = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Description: 'custodian' }));
  signer = new KmsSigner(kms, created.KeyMetadata!.KeyId!);
  service = new CustodianService(adapter, signer, CHAIN_ID);
});

afterAll(async () => {
  kms?.destroy();
  await running?.close();
});

describe('custodian leg attestations signed through KMS', () => {
  const domain = custodyDomain(CHAIN_ID, '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
  const requestId = hexlify(randomBytes(32));

  it('recovers to the custodian key address', async () => {
    const { leg, signature } = await service.attest(domain, requestId, transfer);
    expect(leg.direction).toBe(LegDirection.Received);
    expect(leg.txId).toBe(nativeKey('a'.repeat(64)));
    expect(verifyTypedData(domain, CUSTODY_LEG_TYPES, leg, signature)).toBe(await signer.getAddress());
  });

  it('does not recover to the custodian for a changed amount', async () => {
    const { leg, signature } = await service.attest(domain, requestId, transfer);
    expect(verifyTypedData(domain, CUSTODY_LEG_TYPES, { ...leg, amount: leg.amount + 1n }, signature)).not.toBe(await signer.getAddress());
  });

  it('refuses a transfer that is not final or names a malformed wallet', async () => {
    await expect(service.attest(domain, requestId, { ...transfer, final: false })).rejects.toMatchObject({ code: 'transfer_not_final' });
    await expect(service.attest(domain, requestId, { ...transfer, wallet: 'bc1qnotanaddress' })).rejects.toMatchObject({ code: 'bad_address' });
  });
});

describe('daily balance statements', () => {
  it('signs a statement that verifies against the custodian key and carries the height and balances', async () => {
    const stored = await service.statement('bitcoin', '2026-12-05', [BTC_WALLET]);
    expect(stored.statement).toEqual({ chain: 'bitcoin', day: '2026-12-05', height: '840000', balances: [{ wallet: BTC_WALLET, asset: 'BTC', amount: '12345678' }] });
    expect(verifyStatement(stored, await signer.getAddress())).toEqual([]);
    expect(verifyTypedData(statementDomain(CHAIN_ID), BALANCE_STATEMENT_TYPES, fromStored(stored), stored.signature)).toBe(await signer.getAddress());
  });

  it('flags a tampered balance and a statement signed by another key', async () => {
    const stored = await service.statement('bitcoin', '2026-12-05', [BTC_WALLET]);
    const tampered = { ...stored, statement: { ...stored.statement, balances: [{ ...stored.statement.balances[0], amount: '99999999' }] } };
    expect(verifyStatement(tampered, await signer.getAddress()).join()).toMatch(/not the custodian key/);
    const other = Wallet.createRandom();
    const forged = { ...stored, signature: await other.signTypedData(statementDomain(CHAIN_ID), BALANCE_STATEMENT_TYPES, fromStored(stored)) };
    expect(verifyStatement(forged, await signer.getAddress()).join()).toMatch(new RegExp(`signed by ${other.address}`));
  });
});
