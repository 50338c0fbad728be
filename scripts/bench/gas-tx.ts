import type { BaseContract, Contract, ContractTransactionResponse, Signer } from 'ethers';

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
