/**
 * Proof of reserve for custodian assets: what the custodian's signed daily balance statements
 * (lambdas/domain/custody/statement.ts) prove the custodian holds, per basket placeholder, judged
 * against the CustodyRegistry as it stood at the report's block. A statement counts only when it
 * is for the report's day, well formed and signed by a key the registry holds as custodian signer;
 * a balance counts only in a wallet the registry holds for that chain. Everything else is listed
 * as a problem, so the report and the auditor say why a custodian asset is not covered.
 */
import { Contract, getAddress, recoverAddress, type Provider } from 'ethers';
import { abi as CUSTODY_REGISTRY_ABI } from '../../artifacts/contracts/interfaces/ICustodyRegistry.sol/ICustodyRegistry.json';
import { custodianPlaceholder } from '../domain/custody/placeholder';
import { fromStored, statementDigest, verifyStatement, type SignedBalanceStatement } from '../domain/custody/statement';

/** CustodyMode.Custodian in ICustodyRegistry. */
const CUSTODIAN_MODE = 1n;

/** What the CustodyRegistry held at one block: custodian assets, active wallets and signers. */
export interface CustodianRegistryView {
  readonly registry: string;
  /** Custodian assets by basket placeholder (checksummed). */
  readonly assets: ReadonlyMap<string, { readonly chain: string; readonly assetId: string }>;
  /** Active wallets per chain name. */
  readonly wallets: Readonly<Record<string, readonly string[]>>;
  /** Active custodian signers (checksummed). */
  readonly signers: ReadonlySet<string>;
}

/** One custodian asset as the statements prove it. */
export interface CustodianHolding {
  /** The basket placeholder. */
  readonly asset: string;
  readonly chain: string;
  readonly assetId: string;
  /** Sum of the asset's balances in registered wallets over the accepted statements. */
  readonly held: bigint;
}

/** The custodian part of a reserve report (amounts as decimal strings in the canonical JSON). */
export interface CustodianSection {
  readonly registry: string;
  /** The statements exactly as the custodian signed and stored them. */
  readonly statements: readonly SignedBalanceStatement[];
  readonly holdings: readonly CustodianHolding[];
  /** Why a statement or balance was not counted (wrong signer, unregistered wallet, missing chain...). */
  readonly problems: readonly string[];
}

/**
 * Judges `statements` for `day` against the registry view: accepted statements' balances in
 * registered wallets become holdings of the registered custodian assets; the rest are problems.
 * Only the chains of `needed` placeholders must have a statement.
 */
export function assessCustodian(view: CustodianRegistryView, statements: readonly SignedBalanceStatement[], day: string, needed: readonly string[]): CustodianSection {
  const problems: string[] = [];
  const held = new Map<string, bigint>();
  const covered = new Set<string>();
  const byChain = new Map<string, number>();
  for (const stored of statements) {
    const chain = stored.statement.chain;
    const where = `statement ${chain} ${stored.statement.day}`;
    byChain.set(chain, (byChain.get(chain) ?? 0) + 1);
    if (byChain.get(chain)! > 1) {
      problems.push(`${where}: more than one statement for the chain; only the first counts`);
      continue;
    }
    if (stored.statement.day !== day) {
      problems.push(`${where}: not the report day ${day}`);
      continue;
    }
    let signer: string;
    try {
      signer = recoverAddress(statementDigest(stored.chainId, fromStored(stored)), stored.signature);
    } catch (error) {
      problems.push(`${where}: unreadable signature (${(error as Error).message})`);
      continue;
    }
    const invalid = verifyStatement(stored, signer);
    if (invalid.length) {
      problems.push(...invalid.map((p) => `${where}: ${p}`));
      continue;
    }
    if (!view.signers.has(signer)) {
      problems.push(`${where}: signed by ${signer}, which is not a registered custodian signer`);
      continue;
    }
    covered.add(chain);
    const registered = new Set(view.wallets[chain] ?? []);
    for (const line of fromStored(stored).balances) {
      if (!registered.has(line.wallet)) {
        if (line.amount > 0n) problems.push(`${where}: wallet ${line.wallet} is not registered on ${chain}; its ${line.amount} ${line.asset} is not counted`);
        continue;
      }
      const placeholder = custodianPlaceholder(chain, line.asset);
      if (!view.assets.has(placeholder)) continue;
      held.set(placeholder, (held.get(placeholder) ?? 0n) + line.amount);
    }
  }
  const holdings: CustodianHolding[] = [];
  const missing = new Set<string>();
  for (const raw of needed) {
    const asset = getAddress(raw);
    const info = view.assets.get(asset);
    if (!info) continue;
    if (!covered.has(info.chain)) missing.add(info.chain);
    holdings.push({ asset, chain: info.chain, assetId: info.assetId, held: held.get(asset) ?? 0n });
  }
  for (const chain of missing) problems.push(`no statement for ${chain} on ${day} signed by a registered custodian signer`);
  return { registry: getAddress(view.registry), statements: [...statements], holdings, problems };
}

/** The registry at `blockTag`, rebuilt from its events (the strings are in them) and checked against its views. */
export async function readCustodianRegistry(provider: Provider, registry: string, blockTag: number): Promise<CustodianRegistryView> {
  const contract = new Contract(registry, CUSTODY_REGISTRY_ABI, provider);
  const logs = async (name: string) =>
    (await contract.queryFilter(contract.getEvent(name), 0, blockTag)) as unknown as Array<{ args: Record<string, unknown> }>;
  const assets = new Map<string, { chain: string; assetId: string }>();
  for (const { args } of await logs('AssetRegistered')) {
    if ((args.mode as bigint) === CUSTODIAN_MODE) assets.set(getAddress(args.token as string), { chain: args.chainName as string, assetId: args.assetId as string });
  }
  const wallets = new Map<string, { chain: string; wallet: string; active: boolean }>();
  for (const { args } of await logs('WalletSet')) {
    wallets.set(`${args.chainName as string}|${args.wallet as string}`, { chain: args.chainName as string, wallet: args.wallet as string, active: args.active as boolean });
  }
  const signers = new Map<string, boolean>();
  for (const { args } of await logs('SignerSet')) signers.set(getAddress(args.signer as string), args.active as boolean);
  const byChain: Record<string, string[]> = {};
  for (const w of wallets.values()) if (w.active) (byChain[w.chain] ??= []).push(w.wallet);
  return { registry: getAddress(registry), assets, wallets: byChain, signers: new Set([...signers].filter(([, on]) => on).map(([s]) => s)) };
}

/** One auditor verdict (the shape of lambdas/reserves/verify.ts's Check). */
export interface CustodianCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly reason: string;
}

/**
 * The auditor's custodian checks of one report, against the registry view at the report's block:
 * every statement signed by a registered custodian signer for the report's day, no balance in an
 * unregistered wallet, and, for every custodian asset of the index, the statements' holding at
 * least what every index owes in it (basket x supply plus fees). `assessed` is the auditor's own
 * assessment of the report's statements (assessCustodian).
 */
export function custodianChecks(
  report: { readonly index: { readonly symbol: string }; readonly assets: ReadonlyArray<{ readonly asset: string; readonly totalLiabilities: bigint }>; readonly custodian?: CustodianSection },
  view: CustodianRegistryView,
  assessed: CustodianSection | undefined,
): CustodianCheck[] {
  const custodianLines = report.assets.filter((a) => view.assets.has(getAddress(a.asset)));
  if (custodianLines.length === 0 && !report.custodian) return [];
  if (!report.custodian || !assessed) {
    return [{ name: 'custodian-statements', ok: false, reason: `${report.index.symbol} holds ${custodianLines.length} custodian assets but the report carries no custodian statements` }];
  }
  const walletProblems = assessed.problems.filter((p) => p.includes('is not registered on'));
  const statementProblems = assessed.problems.filter((p) => !walletProblems.includes(p));
  const held = new Map(assessed.holdings.map((h) => [h.asset, h]));
  const short = custodianLines
    .map((line) => ({ line, holding: held.get(getAddress(line.asset)) }))
    .filter(({ line, holding }) => (holding?.held ?? 0n) < line.totalLiabilities)
    .map(({ line, holding }) => `${holding ? `${holding.assetId} on ${holding.chain}` : line.asset}: statements show ${holding?.held ?? 0n}, owed ${line.totalLiabilities}`);
  return [
    statementProblems.length
      ? { name: 'custodian-statements', ok: false, reason: statementProblems.slice(0, 5).join('; ') }
      : { name: 'custodian-statements', ok: true, reason: `${report.custodian.statements.length} statements signed by registered custodian signers for the report day` },
    walletProblems.length
      ? { name: 'custodian-wallets', ok: false, reason: walletProblems.slice(0, 5).join('; ') }
      : { name: 'custodian-wallets', ok: true, reason: 'every wallet in the statements is registered for its chain' },
    short.length
      ? { name: 'custodian-coverage', ok: false, reason: `DEFICIT: ${short.join('; ')}` }
      : { name: 'custodian-coverage', ok: true, reason: `${custodianLines.length} custodian assets covered: statement balances >= basket x supply of every index` },
  ];
}
