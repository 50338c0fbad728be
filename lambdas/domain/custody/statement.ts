/**
 * The custodian's daily balance statement per chain: what the custodian attests it holds in each
 * registered wallet at one block height, slot or ledger index. Signed as EIP-712 typed data with the
 * custodian key (domain "SSI Custody" v1 on the deployment chain, no verifying contract), so any
 * EIP-712 tool can check it; strings are kept readable in the typed data (EIP-712 hashes them).
 */
import { TypedDataEncoder, getAddress, recoverAddress, type TypedDataDomain, type TypedDataField } from 'ethers';
import { CUSTODY_DOMAIN_NAME, CUSTODY_DOMAIN_VERSION } from './attestation';
import { checkAddress } from './addresses';

export const BALANCE_STATEMENT_TYPES: Record<string, TypedDataField[]> = {
  BalanceStatement: [
    { name: 'chain', type: 'string' },
    { name: 'day', type: 'string' },
    { name: 'height', type: 'uint64' },
    { name: 'balances', type: 'WalletBalance[]' },
  ],
  WalletBalance: [
    { name: 'wallet', type: 'string' },
    { name: 'asset', type: 'string' },
    { name: 'amount', type: 'uint256' },
  ],
};

export interface BalanceStatement {
  chain: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** Block height, slot or ledger index the balances were read at. */
  height: bigint;
  balances: { wallet: string; asset: string; amount: bigint }[];
}

/** A statement as stored in the reports bucket (JSON: amounts and height as decimal strings). */
export interface SignedBalanceStatement {
  statement: { chain: string; day: string; height: string; balances: { wallet: string; asset: string; amount: string }[] };
  /** The deployment chain id the EIP-712 domain names. */
  chainId: number;
  /** The custodian key's address, as claimed; verification recovers it from the signature. */
  signer: string;
  signature: string;
}

export function statementDomain(chainId: bigint | number): TypedDataDomain {
  return { name: CUSTODY_DOMAIN_NAME, version: CUSTODY_DOMAIN_VERSION, chainId };
}

export function statementDigest(chainId: bigint | number, statement: BalanceStatement): string {
  return TypedDataEncoder.hash(statementDomain(chainId), BALANCE_STATEMENT_TYPES, statement);
}

/** Where a statement is stored in the reports bucket, beside the reserve report of the same day. */
export const statementKey = (day: string, chain: string): string => `custody/${day}/${chain}.json`;

export function toStored(statement: BalanceStatement, chainId: number, signer: string, signature: string): SignedBalanceStatement {
  return {
    statement: {
      chain: statement.chain,
      day: statement.day,
      height: statement.height.toString(),
      balances: statement.balances.map((b) => ({ wallet: b.wallet, asset: b.asset, amount: b.amount.toString() })),
    },
    chainId,
    signer: getAddress(signer),
    signature,
  };
}

export function fromStored(stored: SignedBalanceStatement): BalanceStatement {
  const s = stored.statement;
  return {
    chain: s.chain,
    day: s.day,
    height: BigInt(s.height),
    balances: s.balances.map((b) => ({ wallet: b.wallet, asset: b.asset, amount: BigInt(b.amount) })),
  };
}

/**
 * Checks a stored statement: well-formed, every wallet a valid address of its chain, and signed by
 * `custodian`. Returns the problems found (empty when it holds).
 */
export function verifyStatement(stored: SignedBalanceStatement, custodian: string): string[] {
  const problems: string[] = [];
  let statement: BalanceStatement;
  try {
    statement = fromStored(stored);
  } catch (error) {
    return [`malformed statement: ${(error as Error).message}`];
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(statement.day)) problems.push(`day "${statement.day}" is not YYYY-MM-DD`);
  for (const b of statement.balances) {
    const check = checkAddress(statement.chain, b.wallet);
    if (!check.ok) problems.push(`wallet ${b.wallet}: ${check.reason}`);
    if (b.amount < 0n) problems.push(`wallet ${b.wallet}: negative balance`);
  }
  let recovered: string;
  try {
    recovered = recoverAddress(statementDigest(stored.chainId, statement), stored.signature);
  } catch (error) {
    return [...problems, `unreadable signature: ${(error as Error).message}`];
  }
  if (recovered !== getAddress(custodian)) problems.push(`signed by ${recovered}, not the custodian key ${getAddress(custodian)}`);
  return problems;
}
