import hre from 'hardhat';
import { expectRevert } from '../../helpers/revert';
import { loadQuoteOrderVector } from '../../helpers/quote-order-vector';
import { deployVectorSystem, deployedInSnapshot } from '../../helpers/vector-system';

describe('Shared quote-order signing vector against the Issuer contract', () => {
  const vector = loadQuoteOrderVector();
  const system = deployedInSnapshot(hre, deployVectorSystem);

  it('deploys the issuer and the index at the addresses the vector was made for', async () => {
    expect(await system().issuer.getAddress()).toBe(vector.domain.verifyingContract);
    expect(await system().index.getAddress()).toBe(vector.order.index);
    expect((await hre.ethers.provider.getNetwork()).chainId).toBe(vector.domain.chainId);
  });

  it("the contract's hashOrder equals the vector's digest", async () => {
    expect(await system().issuer.hashOrder(vector.order)).toBe(vector.digest);
  });

  it("the vector's signature passes every on-chain check, with the vector's fee", async () => {
    const [digest, fee] = await system().issuer.verifyOrder(vector.order, vector.signature, vector.maxFeeBps);
    expect(digest).toBe(vector.digest);
    expect(fee).toBe(vector.fee);
  });

  it('the same signature fails for an order that differs in one field', async () => {
    await expectRevert(
      system().issuer.verifyOrder({ ...vector.order, nonce: vector.order.nonce + 1n }, vector.signature, vector.maxFeeBps),
      system().issuer,
      'InvalidSignature',
      [vector.order.maker],
    );
  });
});
