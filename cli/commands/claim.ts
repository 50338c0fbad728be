import type { Command } from 'commander';
import { Contract, JsonRpcProvider, Wallet, isError } from 'ethers';
import { CliError, progress, report } from '../output';
import { readStackFile } from './stack';
import { DISTRIBUTOR } from '../../lambdas/points/distributor';
import { REWARDS_DISTRIBUTOR_ABI } from '../../lambdas/shared/abi';

interface ClaimOptions {
  address?: string;
  key?: string;
  api?: string;
  rpc?: string;
  data?: string;
  json?: boolean;
}

interface RewardsAnswer {
  address: string;
  epoch: number;
  cumulativeAmount: string;
  claimed: string | null;
  claimable: string | null;
  root: string;
  proof: string[];
  distributor: string | null;
}

/** The distributor's custom error in a failed call, as `Name(arg, ...)`, or undefined. */
export function decodeDistributorError(error: unknown): string | undefined {
  const data = (error as { data?: unknown; info?: { error?: { data?: unknown } } }).data ?? (error as { info?: { error?: { data?: unknown } } }).info?.error?.data;
  if (typeof data !== 'string' || data.length < 10) return undefined;
  try {
    const parsed = DISTRIBUTOR.parseError(data);
    return parsed ? `${parsed.name}(${parsed.args.map(String).join(', ')})` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `ssi claim`: fetches the account's cumulative reward and proof from GET /v1/rewards/{address}
 * and calls RewardsDistributor.claim(account, cumulativeAmount, proof) with the given key
 * (the account itself or a claimer it approved). Endpoints default to the local stack's.
 */
export function registerClaim(program: Command): void {
  program
    .command('claim')
    .description('claim epoch rewards: fetches the proof from the API and calls RewardsDistributor.claim')
    .option('--address <address>', 'account to claim for (default: the key\'s address)')
    .option('--key <privateKey>', 'private key that sends the claim (default $SSI_PRIVATE_KEY)')
    .option('--api <url>', 'API base URL (default: the local stack\'s)')
    .option('--rpc <url>', 'JSON-RPC URL (default: the local stack\'s)')
    .option('--data <dir>', 'the local stack data folder (default .data/local or $SSI_DATA_DIR)')
    .option('--json', 'machine-readable output')
    .action(async (options: ClaimOptions) => {
      const key = options.key ?? process.env.SSI_PRIVATE_KEY;
      if (!key) throw new CliError('no key: pass --key or set SSI_PRIVATE_KEY');
      const stack = options.api && options.rpc ? undefined : readStackFile(options.data);
      const api = options.api ?? stack!.api;
      const rpc = options.rpc ?? stack!.rpc;
      const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
      try {
        let wallet: Wallet;
        try {
          wallet = new Wallet(key, provider);
        } catch (error) {
          throw new CliError(`not a private key: ${(error as Error).message}`);
        }
        const address = (options.address ?? wallet.address).toLowerCase();
        const answer = await fetch(`${api}/v1/rewards/${address}`);
        const body = (await answer.json()) as RewardsAnswer & { message?: string };
        if (!answer.ok) throw new CliError(`GET /v1/rewards/${address}: ${answer.status} ${body.message ?? ''}`.trim());
        const distributorAddress = body.distributor ?? stack?.contracts.rewardsDistributor;
        if (!distributorAddress) throw new CliError('the API names no RewardsDistributor');
        const distributor = new Contract(distributorAddress, REWARDS_DISTRIBUTOR_ABI, wallet);
        progress(`claiming for ${address}: cumulative ${body.cumulativeAmount} (epoch ${body.epoch}), already claimed ${body.claimed ?? '?'}`);
        let receipt;
        try {
          const tx = await distributor.getFunction('claim')(address, BigInt(body.cumulativeAmount), body.proof);
          receipt = await tx.wait();
        } catch (error) {
          const reason = decodeDistributorError(error);
          if (reason) throw new CliError(`the distributor refused the claim: ${reason}`, { reason });
          if (isError(error, 'CALL_EXCEPTION')) throw new CliError(`the claim reverted: ${error.shortMessage}`);
          throw error;
        }
        let paid = 0n;
        for (const log of receipt.logs) {
          const parsed = DISTRIBUTOR.parseLog(log);
          if (parsed?.name === 'Claimed') paid += parsed.args.amount as bigint;
        }
        const result = { ok: true, address, epoch: body.epoch, cumulativeAmount: body.cumulativeAmount, paid: paid.toString(), txHash: receipt.hash, distributor: distributorAddress };
        report(options, result, () => [`claimed ${paid} (base units) for ${address} against epoch ${body.epoch}: tx ${receipt.hash}`]);
      } finally {
        provider.destroy();
      }
    });
}
