import { BrowserProvider, Interface, isError, type Eip1193Provider, type JsonRpcSigner } from 'ethers';
import { appConfig } from './api';
import { utc } from './dom';

/** An injected wallet (MetaMask and the like): EIP-1193 `request`, and events where it has them. */
interface InjectedWallet extends Eip1193Provider {
  on?: (event: string, listener: (...args: unknown[]) => void) => void;
}

declare global {
  interface Window {
    ethereum?: InjectedWallet;
  }
}

/** A refusal the reader can act on, worded for them (shown as it is). */
export class WalletError extends Error {}

/** The custom errors a stake, unstake, withdraw (IStakeToken.sol) or reward claim (IRewardsDistributor.sol) may revert with. */
const STAKE_ERRORS = new Interface([
  'error ZeroAmount()',
  'error NothingToWithdraw(address user, address token, uint64 nextEndsAt)',
  'error EnforcedPause()',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
  'error RootPending(uint32 pendingEpoch, uint64 activatesAt)',
  'error NothingToClaim(address account, uint256 cumulativeAmount, uint256 claimed)',
]);

let account: string | null = null;
const listeners = new Set<() => void>();

/** The connected address, or null before the reader connects. */
export const connectedAccount = (): string | null => account;

/** Calls `listener` whenever the connected account changes (connect, or the wallet switching). */
export function onAccountChange(listener: () => void): void {
  listeners.add(listener);
}

function setAccount(next: string | null): void {
  account = next;
  for (const listener of listeners) listener();
}

function injected(): InjectedWallet {
  if (!window.ethereum) throw new WalletError('No wallet found: this page needs a browser wallet (an injected EIP-1193 provider such as MetaMask).');
  return window.ethereum;
}

/** Refuses a wallet on another chain than the deployment's (from /config.json). */
async function checkChain(wallet: InjectedWallet): Promise<void> {
  const expected = (await appConfig()).chainId;
  const actual = Number(BigInt((await wallet.request({ method: 'eth_chainId' })) as string));
  if (actual !== expected) throw new WalletError(`Wrong chain: your wallet is on chain ${actual}, this deployment is on chain ${expected}. Switch networks in your wallet and try again.`);
}

/** Asks the wallet for an account (its approval prompt), checks its chain, and remembers the account. */
export async function connect(): Promise<string> {
  const wallet = injected();
  try {
    const accounts = (await wallet.request({ method: 'eth_requestAccounts' })) as string[];
    if (!accounts[0]) throw new WalletError('The wallet returned no account.');
    await checkChain(wallet);
    wallet.on?.('accountsChanged', (next) => setAccount((next as string[])[0] ?? null));
    wallet.on?.('chainChanged', () => setAccount(account));
    setAccount(accounts[0]);
    return accounts[0];
  } catch (error) {
    throw walletError(error);
  }
}

/** A signer for the connected account, after checking again that the wallet is on the right chain. */
export async function signer(): Promise<JsonRpcSigner> {
  if (!account) throw new WalletError('Connect a wallet first.');
  const wallet = injected();
  await checkChain(wallet);
  return new BrowserProvider(wallet).getSigner(account);
}

/** Words for a failed wallet action: rejected in the wallet, no gas, a contract refusal, or the error's own message. */
export function walletError(error: unknown): WalletError {
  if (error instanceof WalletError) return error;
  const raw = error as { code?: unknown; info?: { error?: { code?: unknown } } };
  // 4001 is EIP-1193's "user rejected"; ethers wraps it as ACTION_REJECTED, or keeps it under info.error.
  if (isError(error, 'ACTION_REJECTED') || raw.code === 4001 || raw.info?.error?.code === 4001) {
    return new WalletError('You rejected the request in your wallet: nothing was signed or sent.');
  }
  if (isError(error, 'INSUFFICIENT_FUNDS')) return new WalletError('Insufficient balance: the account has too little ETH to pay for gas.');
  if (isError(error, 'CALL_EXCEPTION') && error.data) {
    const decoded = STAKE_ERRORS.parseError(error.data);
    if (decoded?.name === 'NothingToWithdraw') {
      const ends = Number(decoded.args[2]);
      return new WalletError(`Still cooling down: no request has matured yet${ends ? ` (the next ends ${utc(ends)})` : ''}.`);
    }
    if (decoded?.name === 'ERC20InsufficientBalance') return new WalletError('Insufficient balance: the account holds less than that amount.');
    if (decoded?.name === 'RootPending') return new WalletError(`The reward root of epoch ${decoded.args[0]} is not active yet: claim after ${new Date(Number(decoded.args[1]) * 1000).toISOString()}.`);
    if (decoded?.name === 'NothingToClaim') return new WalletError('Nothing to claim: these rewards were already paid.');
    if (decoded?.name === 'EnforcedPause') return new WalletError('Staking is paused: try again later.');
    if (decoded) return new WalletError(`The contract refused: ${decoded.name}.`);
  }
  const message = (error as { shortMessage?: string; message?: string }).shortMessage ?? (error as Error).message ?? String(error);
  return new WalletError(message);
}
