import hre from 'hardhat';
import { loadRebalanceOrdersVector } from '../../helpers/rebalance-orders-vector';
import { deployVectorSystem, deployedInSnapshot } from '../../helpers/vector-system';

describe('Shared rebalance signing vector against the Rebalancer contract', () => {
  const vector = loadRebalanceOrdersVector();
  const system = deployedInSnapshot(hre, deployVectorSystem);

  it('deploys the rebalancer and the index at the addresses the vector was made for', async () => {
    expect(await system().rebalancer.getAddress()).toBe(vector.domain.verifyingContract);
    expect(await system().index.getAddress()).toBe(vector.rebalanceOrder.index);
    const domain = await system().rebalancer.eip712Domain();
    expect(domain.name).toBe(vector.domain.name);
    expect(domain.version).toBe(vector.domain.version);
    expect(domain.chainId).toBe(vector.domain.chainId);
  });

  it("the contract's digests of the rebalance order, the price attestation and the fee sale equal the vector's", async () => {
    expect(await system().rebalancer.hashRebalanceOrder(vector.rebalanceOrder)).toBe(vector.digests.rebalanceOrder);
    expect(await system().rebalancer.hashPriceAttestation(vector.priceAttestation)).toBe(vector.digests.priceAttestation);
    expect(await system().rebalancer.hashFeeSaleOrder(vector.feeSaleOrder)).toBe(vector.digests.feeSaleOrder);
  });

  it('a change in any one field changes the digest', async () => {
    const { rebalanceOrder: o, priceAttestation: p, feeSaleOrder: f } = vector;
    expect(await system().rebalancer.hashRebalanceOrder({ ...o, buyAmounts: [o.buyAmounts[0] + 1n] })).not.toBe(vector.digests.rebalanceOrder);
    expect(await system().rebalancer.hashPriceAttestation({ ...p, prices: [p.prices[0], p.prices[1] + 1n] })).not.toBe(vector.digests.priceAttestation);
    expect(await system().rebalancer.hashFeeSaleOrder({ ...f, cashAmount: f.cashAmount - 1n })).not.toBe(vector.digests.feeSaleOrder);
  });

  it('the vector signers hold the roles their signatures need in the vector system', async () => {
    expect(await system().rebalancer.hasRole(await system().rebalancer.MAKER_ROLE(), vector.rebalanceOrder.maker)).toBe(true);
    const operator = hre.ethers.computeAddress(vector.keys.deployer);
    expect(await system().rebalancer.hasRole(await system().rebalancer.OPERATOR_ROLE(), operator)).toBe(true);
  });
});
