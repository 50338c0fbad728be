import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { JsonRpcProvider, Network } from 'ethers';
import { CliError, progress, report, type OutputOptions } from '../output';
import { readStackFile } from './stack';
import { parseSignedReport, type SignedReport } from '../../lambdas/reserves/report';
import { verifyReport, type Check, type ProofInput } from '../../lambdas/reserves/verify';

interface VerifyOptions extends OutputOptions {
  date?: string;
  index?: string;
  holder?: string;
  api?: string;
  rpc?: string;
  signer?: string;
  file?: string;
  proof?: string;
  fromBlock?: string;
  data?: string;
}

async function getJson(url: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new CliError(`cannot reach ${url}: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
  if (!response.ok) throw new CliError(`${url} answered ${response.status}: ${body?.message ?? 'no message'}`);
  return body;
}

/**
 * `ssi verify-reserves`: the auditor's check of published proof-of-reserve reports. Fetches the
 * reports (or reads --file), then per report prints PASS/FAIL with the reason for: hash, KMS
 * signature against the published reserve signer, block, recomputation from the chain at the
 * report's block, the registry entry, the custodian's balance statements (signer and wallets
 * registered in the CustodyRegistry, balances covering basket x supply of every custodian asset)
 * when the protocol has a CustodyRegistry and, with --holder or --proof, a holder's inclusion proof.
 * Exits 1 when any check fails.
 */
export function registerVerifyReserves(program: Command): void {
  program
    .command('verify-reserves')
    .description('verify signed proof-of-reserve reports against the chain and the reserve registry')
    .option('--date <yyyy-mm-dd>', 'report day (default: the latest published)')
    .option('--index <symbol>', 'only this index, e.g. MAG7.ssi')
    .option('--holder <address>', 'also verify this holder\'s inclusion proof (fetched from the API)')
    .option('--api <url>', 'SSI API base URL (default: the local stack\'s)')
    .option('--rpc <url>', 'JSON-RPC URL of the chain (default: the local stack\'s)')
    .option('--signer <address>', 'expected reserve signer (default: signers.reserve of GET /v1/protocol)')
    .option('--file <path>', 'verify this signed report file instead of fetching reports')
    .option('--proof <path>', 'verify this holder proof file (one entry of the proof API\'s proofs)')
    .option('--from-block <n>', 'first block of the index tokens\' Transfer logs', '0')
    .option('--data <dir>', 'local stack data folder, for the default API and RPC')
    .option('--json', 'machine-readable output')
    .action(async (options: VerifyOptions) => {
      const stack = !options.api || !options.rpc ? readStackFile(options.data) : undefined;
      const api = (options.api ?? stack!.api).replace(/\/$/, '');
      const rpc = options.rpc ?? stack!.rpc;
      const protocol = await getJson(`${api}/v1/protocol`);
      const expectedSigner = options.signer ?? protocol.signers?.reserve;
      if (!expectedSigner) throw new CliError('no reserve signer published at /v1/protocol; pass --signer');
      const provider = new JsonRpcProvider(rpc, Network.from(protocol.chainId), { staticNetwork: true });
      try {
        let reports: SignedReport[];
        if (options.file) {
          if (!existsSync(options.file)) throw new CliError(`no report file ${options.file}`);
          reports = [parseSignedReport(readFileSync(options.file, 'utf8'))];
        } else {
          const path = options.date ? `/v1/reserves/${options.date}` : '/v1/reserves/latest';
          const body = await getJson(`${api}${path}${options.index ? `?index=${encodeURIComponent(options.index)}` : ''}`);
          reports = (body.reports as unknown[]).map((r) => parseSignedReport(JSON.stringify(r)));
        }
        const proofs = new Map<string, ProofInput>();
        if (options.proof) {
          const proof = JSON.parse(readFileSync(options.proof, 'utf8')) as ProofInput;
          proofs.set(proof.symbol, proof);
        } else if (options.holder) {
          const day = reports[0]!.report.day;
          const body = await getJson(`${api}/v1/reserves/${day}/proof/${options.holder}${options.index ? `?index=${encodeURIComponent(options.index)}` : ''}`);
          for (const proof of body.proofs as ProofInput[]) proofs.set(proof.symbol, proof);
        }
        const ctx = {
          provider,
          expectedSigner,
          indexes: protocol.indexes as Record<string, string>,
          custody: protocol.contracts.custodyVault as string,
          chainId: protocol.chainId as number,
          reader: { fromBlock: Number(options.fromBlock ?? 0) },
          custodianRegistry: protocol.contracts.custodyRegistry as string | undefined,
        };
        const results: Array<{ index: string; day: string; reportHash: string; checks: Check[] }> = [];
        for (const signed of reports) {
          progress(`verifying ${signed.report.index.symbol} ${signed.report.day} at block ${signed.report.block.number}`);
          const checks = await verifyReport(ctx, signed, proofs.get(signed.report.index.symbol));
          results.push({ index: signed.report.index.symbol, day: signed.report.day, reportHash: signed.reportHash, checks });
        }
        const ok = results.every((r) => r.checks.every((c) => c.ok));
        report(options, { ok, reports: results }, () => [
          ...results.flatMap((r) => [`${r.index} ${r.day} (${r.reportHash})`, ...r.checks.map((c) => `  ${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.reason}`)]),
          ok ? 'VERDICT: all checks passed' : 'VERDICT: FAILED',
        ]);
        if (!ok) process.exitCode = 1;
      } finally {
        provider.destroy();
      }
    });
}
