import type { EthereumProvider, RequestArguments } from 'hardhat/types';

/**
 * Time of the bench's first block: 2030-01-01 00:00:00 UTC. It must lie after the genesis block, which the
 * in-process network stamps from the wall clock, so it is set in the future; `pinBlockTimes` refuses to run once
 * the wall clock has passed it.
 */
export const FIRST_BLOCK_TIME = 1_893_456_000;

/** Requests after which the chain head may be another block: mined transactions, mined blocks, a rewind. */
const HEAD_MOVES = new Set(['eth_sendTransaction', 'eth_sendRawTransaction', 'evm_mine', 'hardhat_mine', 'evm_revert']);

/**
 * Stamps every block of the in-process Hardhat network from a fixed clock instead of the wall clock: the first
 * block (an empty one) at `firstBlockTime`, each later one a second after the chain head, plus whatever
 * `evm_increaseTime` adds (so a wait the bench makes still happens, to the second). A rewind (`evm_revert`)
 * rewinds the clock with the chain. Block times reach gas through calldata (deadlines and the signatures over them, zero bytes costing 4 gas
 * and others 16) and through the fee factor (basket amounts), so gas figures repeat from run to run only on a
 * fixed clock. The next block's time is always set ahead, so gas estimation sees the time the block will get.
 * Covers `request` and `send`, the two ways hardhat-ethers and the upgrades plugin reach the provider.
 */
export async function pinBlockTimes(provider: EthereumProvider, firstBlockTime = FIRST_BLOCK_TIME): Promise<void> {
  const request = provider.request.bind(provider);
  const headTime = async (): Promise<number> => {
    const head = (await request({ method: 'eth_getBlockByNumber', params: ['latest', false] })) as { timestamp: string };
    return Number(head.timestamp);
  };
  let next = firstBlockTime;
  const setNext = async (time: number): Promise<void> => {
    await request({ method: 'evm_setNextBlockTimestamp', params: [time] });
    next = time;
  };
  const start = await headTime();
  if (start >= firstBlockTime) {
    throw new Error(`the first block time ${firstBlockTime} is not after the chain head (${start}): move FIRST_BLOCK_TIME later`);
  }
  // An empty first block puts the chain head itself on the clock, so even a rewind to a snapshot taken before
  // any transaction lands on a fixed time.
  await setNext(firstBlockTime);
  await request({ method: 'evm_mine' });
  await setNext(firstBlockTime + 1);

  const pinned = async (args: RequestArguments): Promise<unknown> => {
    if (args.method === 'evm_increaseTime') {
      const result = await request(args);
      await setNext(next + Number((args.params as Array<number | string>)[0]));
      return result;
    }
    if (!HEAD_MOVES.has(args.method)) return request(args);
    try {
      return await request(args);
    } finally {
      const head = await headTime();
      // A transaction that failed without being mined leaves the pinned time (and any increase) for the next block.
      await setNext(args.method === 'evm_revert' || head >= next ? head + 1 : next);
    }
  };
  provider.request = pinned;
  provider.send = async (method: string, params?: unknown[]) => pinned({ method, params });
}

