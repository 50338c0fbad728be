import hre from 'hardhat';
import type { EthereumProvider } from 'hardhat/types';
import { pinBlockTimes } from '../../../scripts/bench/block-clock';

/**
 * pinBlockTimes against the in-process Hardhat network. Each test pins a view of the shared provider (so the
 * provider other test files use stays unpatched), from a first block time a little after the chain head.
 */
describe('pinBlockTimes', () => {
  const view = (): EthereumProvider =>
    ({ request: (args) => hre.network.provider.request(args), send: (method, params) => hre.network.provider.send(method, params) }) as EthereumProvider;
  const headTime = async (provider: EthereumProvider): Promise<number> => Number((await provider.send('eth_getBlockByNumber', ['latest', false])).timestamp);
  const transfer = async (provider: EthereumProvider): Promise<number> => {
    const [from, to] = (await provider.send('eth_accounts')) as string[];
    await provider.send('eth_sendTransaction', [{ from, to, value: '0x1' }]);
    return headTime(provider);
  };
  const pinned = async (): Promise<{ provider: EthereumProvider; first: number }> => {
    const provider = view();
    const first = (await headTime(provider)) + 1_000;
    await pinBlockTimes(provider, first);
    return { provider, first };
  };

  it('stamps an empty first block at the fixed time and each transaction a second after the last', async () => {
    const { provider, first } = await pinned();
    expect(await headTime(provider)).toBe(first);
    expect(await transfer(provider)).toBe(first + 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // wall time passing does not move the clock
    expect(await transfer(provider)).toBe(first + 2);
  });

  it('adds evm_increaseTime to the next block, whether a transaction or evm_mine', async () => {
    const { provider, first } = await pinned();
    await provider.send('evm_increaseTime', [3_600]);
    await provider.send('evm_increaseTime', [60]);
    expect(await transfer(provider)).toBe(first + 1 + 3_660);
    await provider.send('evm_increaseTime', [86_400]);
    await provider.send('evm_mine');
    expect(await headTime(provider)).toBe(first + 2 + 3_660 + 86_400);
  });

  it('rewinds with the chain on evm_revert', async () => {
    const { provider, first } = await pinned();
    const snapshot = (await provider.send('evm_snapshot')) as string;
    await transfer(provider);
    await transfer(provider);
    await provider.send('evm_revert', [snapshot]);
    expect(await transfer(provider)).toBe(first + 1);
  });

  it('refuses a first block time that is not after the chain head', async () => {
    const provider = view();
    await expect(pinBlockTimes(provider, await headTime(provider))).rejects.toThrow(/not after the chain head/);
  });
});
