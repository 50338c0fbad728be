import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { Contract, getAddress, type Provider } from 'ethers';
import { readChainSnapshot, type ReaderOptions } from './chain-reader';
import { REGISTRY_INTERFACE } from './publisher';
import { buildReport, canonicalJson, dayNumber, reportHash, reportSigner, type SignedReport } from './report';
import { INDEX_TOKEN_ABI } from '../shared/abi';
import { assessCustodian, custodianChecks, readCustodianRegistry, type CustodianRegistryView, type CustodianSection } from './custodian';

/** One auditor check and its verdict. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly reason: string;
}

export interface VerifyContext {
  readonly provider: Provider;
  /** The reserve-report signer the protocol publishes (GET /v1/protocol signers.reserve, or given). */
  readonly expectedSigner: string;
  /** Every index of the protocol (symbol -> address): the vault reconciliation sums all of them. */
  readonly indexes: Readonly<Record<string, string>>;
  readonly custody: string;
  readonly chainId: number;
  readonly reader?: ReaderOptions;
  /** The CustodyRegistry, when the protocol has custodian assets: their statements are checked against it. */
  readonly custodianRegistry?: string;
}

/** A holder's inclusion proof as GET /v1/reserves/{date}/proof/{holder} returns it. */
export interface ProofInput {
  readonly symbol: string;
  readonly root: string;
  readonly leaf: readonly [string, string];
  readonly proof: readonly string[];
}

const pass = (name: string, reason: string): Check => ({ name, ok: true, reason });
const fail = (name: string, reason: string): Check => ({ name, ok: false, reason });

async function guard(name: string, run: () => Promise<Check>): Promise<Check> {
  try {
    return await run();
  } catch (error) {
    return fail(name, `could not check: ${(error as Error).message}`);
  }
}

/**
 * Every check an auditor runs on one signed report: hash, signature, signer, block, a full
 * recomputation from the chain at the report's block, the registry entry and, when given, a
 * holder's inclusion proof against the report's liabilities root and the chain balance.
 */
export async function verifyReport(ctx: VerifyContext, signed: SignedReport, holderProof?: ProofInput): Promise<Check[]> {
  const { report } = signed;
  const checks: Check[] = [];
  const recomputedHash = reportHash(report);
  checks.push(
    recomputedHash === signed.reportHash
      ? pass('report-hash', `keccak256(canonical JSON) = ${recomputedHash}`)
      : fail('report-hash', `the report's bytes hash to ${recomputedHash}, not the stated ${signed.reportHash}: the report was altered`),
  );
  checks.push(
    await guard('signature', async () => {
      const recovered = reportSigner(signed.reportHash, signed.signature);
      if (recovered !== getAddress(report.signer)) return fail('signature', `signed by ${recovered}, but the report names ${report.signer}`);
      if (recovered !== getAddress(ctx.expectedSigner)) return fail('signature', `signed by ${recovered}, not the published reserve signer ${getAddress(ctx.expectedSigner)}`);
      return pass('signature', `EIP-191 signature by the published reserve signer ${recovered}`);
    }),
  );
  checks.push(
    await guard('block', async () => {
      const block = await ctx.provider.getBlock(report.block.number);
      if (!block) return fail('block', `the chain has no block ${report.block.number}`);
      if (block.hash !== report.block.hash) return fail('block', `block ${report.block.number} is ${block.hash} on chain, the report says ${report.block.hash}`);
      if (block.timestamp !== report.block.timestamp) return fail('block', `block ${report.block.number} has timestamp ${block.timestamp}, the report says ${report.block.timestamp}`);
      if (report.chainId !== ctx.chainId) return fail('block', `report is for chain ${report.chainId}, the RPC serves ${ctx.chainId}`);
      return pass('block', `block ${report.block.number} hash matches the chain`);
    }),
  );
  let custodianView: CustodianRegistryView | undefined;
  let custodian: CustodianSection | undefined;
  checks.push(
    await guard('recompute', async () => {
      const registry = report.registry;
      custodianView = ctx.custodianRegistry ? await readCustodianRegistry(ctx.provider, ctx.custodianRegistry, report.block.number) : undefined;
      const snapshot = await readChainSnapshot(
        ctx.provider,
        { chainId: ctx.chainId, blockNumber: report.block.number, custody: ctx.custody, registry, indexes: { ...ctx.indexes }, custodianAssets: new Set(custodianView?.assets.keys()) },
        ctx.reader,
      );
      const index = snapshot.indexes.find((i) => i.address === getAddress(report.index.address));
      if (!index) return fail('recompute', `${report.index.address} is not one of the protocol's indexes`);
      if (custodianView && report.custodian) {
        const view = custodianView;
        const needed = [...new Set(snapshot.indexes.flatMap((i) => i.assets))].filter((a) => view.assets.has(a));
        custodian = assessCustodian(view, report.custodian.statements, report.day, needed);
      }
      const rebuilt = buildReport(snapshot, index, { day: report.day, signer: report.signer, custodian }).report;
      const mismatches: string[] = [];
      const field = (path: string, ours: unknown, theirs: unknown) => {
        if (canonicalJson(ours) !== canonicalJson(theirs)) mismatches.push(`${path}: chain ${canonicalJson(ours)}, report ${canonicalJson(theirs)}`);
      };
      field('totalSupply', rebuilt.totalSupply, report.totalSupply);
      field('liabilitiesRoot', rebuilt.liabilitiesRoot, report.liabilitiesRoot);
      field('holders', rebuilt.holders, report.holders);
      field('custody', rebuilt.custody, report.custody);
      rebuilt.assets.forEach((a, i) => field(`assets[${i}]`, a, report.assets[i]));
      if (rebuilt.assets.length !== report.assets.length) mismatches.push(`assets: chain has ${rebuilt.assets.length}, report ${report.assets.length}`);
      field('deficit', rebuilt.deficit, report.deficit);
      if (mismatches.length === 0 && canonicalJson(rebuilt) !== canonicalJson(report)) mismatches.push('other fields differ from the recomputed report');
      if (mismatches.length) return fail('recompute', mismatches.slice(0, 5).join('; '));
      return pass('recompute', `reserves, liabilities and holder root recomputed at block ${report.block.number} match (${report.deficit ? 'DEFICIT in ' + report.deficitAssets.join(', ') : 'fully reserved'})`);
    }),
  );
  checks.push(
    await guard('registry', async () => {
      const registry = new Contract(report.registry, REGISTRY_INTERFACE, ctx.provider);
      const day = dayNumber(report.day);
      if (!((await registry.getFunction('hasReport')(report.index.address, day)) as boolean)) return fail('registry', `the registry has no report of ${report.index.symbol} for ${report.day}`);
      const onChain = (await registry.getFunction('reportAt')(report.index.address, day)) as { reportHash: string; liabilitiesRoot: string; blockNumber: bigint };
      if (onChain.reportHash !== signed.reportHash) return fail('registry', `registry hash ${onChain.reportHash} differs from the report's ${signed.reportHash}`);
      if (onChain.liabilitiesRoot !== report.liabilitiesRoot) return fail('registry', `registry root ${onChain.liabilitiesRoot} differs from the report's ${report.liabilitiesRoot}`);
      if (Number(onChain.blockNumber) !== report.block.number) return fail('registry', `registry block ${onChain.blockNumber} differs from the report's ${report.block.number}`);
      const role = (await registry.getFunction('OPERATOR_ROLE')()) as string;
      if (!((await registry.getFunction('hasRole')(role, report.signer, { blockTag: report.block.number })) as boolean)) {
        return fail('registry', `the report signer ${report.signer} is not a registry operator`);
      }
      return pass('registry', `registry holds hash and root for ${report.index.symbol} ${report.day}`);
    }),
  );
  if (custodianView) checks.push(...custodianChecks(report, custodianView, custodian));
  if (holderProof) checks.push(await guard('holder-proof', () => verifyHolder(ctx, signed, holderProof)));
  return checks;
}

async function verifyHolder(ctx: VerifyContext, signed: SignedReport, input: ProofInput): Promise<Check> {
  const { report } = signed;
  const [holder, balanceText] = input.leaf;
  const balance = BigInt(balanceText);
  if (input.root !== report.liabilitiesRoot) return fail('holder-proof', `proof is against root ${input.root}, the report's is ${report.liabilitiesRoot}`);
  if (!StandardMerkleTree.verify(report.liabilitiesRoot, [...report.holders.leafEncoding], [holder, balance], [...input.proof])) {
    return fail('holder-proof', `(${holder}, ${balance}) is not in the liabilities tree of ${report.index.symbol}`);
  }
  const token = new Contract(report.index.address, INDEX_TOKEN_ABI, ctx.provider);
  const onChain = (await token.getFunction('balanceOf')(holder, { blockTag: report.block.number })) as bigint;
  if (onChain !== balance) return fail('holder-proof', `${holder} held ${onChain} at block ${report.block.number}, the leaf says ${balance}`);
  return pass('holder-proof', `${holder} with ${balance} ${report.index.symbol} is included and matches the chain`);
}
