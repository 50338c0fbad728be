import { keccak256, toUtf8Bytes, type BaseContract, type Contract, type ContractTransactionResponse, type Signer } from 'ethers';

/** Gas used by one mined transaction. */
export async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error('transaction was not mined');
  return receipt.gasUsed;
}

/** `contract` sending from `signer`, typed loosely as bench code calls functions by name. */
export function as(contract: BaseContract, signer: Signer): Contract {
  return contract.connect(signer) as Contract;
}

/** A fixed 32-byte value for a key or account of the gas bench, derived from `label` so that every run uses the same. */
export function benchSeed(label: string): string {
  return keccak256(toUtf8Bytes(`ssi bench:gas ${label}`));
}
