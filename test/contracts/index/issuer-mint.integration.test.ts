import hre from 'hardhat';
import type { Contract } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import {
  ONE,
  as,
  balances,
  deployIndexFixture,
  increaseTime,
  quote,
  sign,
  useSnapshots,
  type IndexFixture,
} from '../../helpers/index-protocol';
import { basketFor, feeFor, issuerDomain, Side, type QuoteOrder } from '../../../lambdas/domain/orders';

describe('Issuer atomic mint', () => {
  let fx: IndexFixture;
  let issuer: Contract;

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 3, issueFeeBps: 30 });
    issuer = fx.issuer;
  });
  useSnapshots(hre);

  async function mintOrder(fields: Partial<QuoteOrder> = {}): Promise<QuoteOrder> {
    return quote(fx, { side: Side.Mint, indexAmount: 5n * ONE + 123_456_789n, ...fields });
  }

  async function submit(order: QuoteOrder, options: { signature?: string; maxFeeBps?: number; caller?: typeof fx.wlp } = {}) {
    const signature = options.signature ?? (await sign(fx.pmm, order, fx.domain));
    return as(issuer, options.caller ?? fx.wlp).mint(order, signature, options.maxFeeBps ?? 30);
  }

  it('moves the underlying to custody, the cash to the PMM, the fee to the fee vault and new index tokens to the WLP', async () => {
    const order = await mintOrder();
    const fee = feeFor(order.cashAmount, 30);
    const vault = await fx.custodyVault.getAddress();
    const underlyingBefore = await Promise.all(fx.assets.map((a) => balances(a, [fx.pmm, vault])));
    const [wlpCash, pmmCash, feeCash] = await balances(fx.usdc, [fx.wlp, fx.pmm, fx.feeVault]);

    const receipt = await (await submit(order)).wait();

    for (let i = 0; i < fx.assets.length; i++) {
      const leg = order.amounts[order.assets.indexOf(await fx.assets[i].getAddress())];
      const [pmmAfter, vaultAfter] = await balances(fx.assets[i], [fx.pmm, vault]);
      expect(pmmAfter).toBe(underlyingBefore[i][0] - leg);
      expect(vaultAfter).toBe(underlyingBefore[i][1] + leg);
    }
    expect(await balances(fx.usdc, [fx.wlp, fx.pmm, fx.feeVault])).toEqual([
      wlpCash - order.cashAmount - fee,
      pmmCash + order.cashAmount,
      feeCash + fee,
    ]);
    expect(await fx.index.balanceOf(await fx.wlp.getAddress())).toBe(order.indexAmount);
    expect(await fx.index.totalSupply()).toBe(order.indexAmount);
    const event = receipt.logs.map((l: { topics: string[]; data: string }) => issuer.interface.parseLog(l)).find((e: { name: string } | null) => e?.name === 'Minted');
    expect(event.args.orderHash).toBe(await issuer.hashOrder(order));
    expect(event.args.fee).toBe(fee);
    expect(event.args.indexAmount).toBe(order.indexAmount);
  });

  it('rounds mint legs up, so the index amount times the tokenset is never under-delivered', async () => {
    const order = await mintOrder({ indexAmount: ONE / 100n + 1n });
    const [, onChain] = await issuer.basketFor(order.index, order.indexAmount, Side.Mint);
    expect([...onChain]).toEqual(order.amounts);
    for (let i = 0; i < order.amounts.length; i++) {
      expect(order.amounts[i] * ONE).toBeGreaterThanOrEqual(order.indexAmount * fx.tokenset.unitAmounts[i]);
      expect((order.amounts[i] - 1n) * ONE).toBeLessThan(order.indexAmount * fx.tokenset.unitAmounts[i]);
    }
  });

  it('charges no fee transfer when the index fee is zero', async () => {
    await (await issuer.setIndexConfig(await fx.index.getAddress(), { ...fx.config, issueFeeBps: 0 })).wait();
    const order = await mintOrder();
    const [wlpBefore, feeBefore] = await balances(fx.usdc, [fx.wlp, fx.feeVault]);
    await (await submit(order, { maxFeeBps: 0 })).wait();
    expect(await balances(fx.usdc, [fx.wlp, fx.feeVault])).toEqual([wlpBefore - order.cashAmount, feeBefore]);
  });

  it('accepts a fee equal to the maximum the WLP accepts and reverts one basis point above', async () => {
    const order = await mintOrder();
    await expectRevert(submit(order, { maxFeeBps: 29 }), issuer, 'FeeAboveMax', [30, 29]);
    await (await submit(order, { maxFeeBps: 30 })).wait();
  });

  it('reverts when the caller is not a participant', async () => {
    const order = await mintOrder({ requester: await fx.outsider.getAddress() });
    const participantRole = await issuer.PARTICIPANT_ROLE();
    await expectRevert(async () => submit(order, { caller: fx.outsider }), issuer, 'AccessControlUnauthorizedAccount', [
      await fx.outsider.getAddress(),
      participantRole,
    ]);
  });

  it('reverts once the deadline has passed', async () => {
    const order = await mintOrder();
    await increaseTime(hre, 601);
    await expectRevert(submit(order), issuer, 'OrderExpired');
  });

  it('reverts when another participant submits an order quoted for someone else', async () => {
    const order = await mintOrder();
    await expectRevert(async () => submit(order, { caller: fx.wlp2 }), issuer, 'WrongRequester', [
      await fx.wlp.getAddress(),
      await fx.wlp2.getAddress(),
    ]);
  });

  it('reverts a redeem order submitted to mint', async () => {
    const order = await quote(fx, { side: Side.Redeem, indexAmount: ONE });
    await expectRevert(submit(order), issuer, 'WrongSide', [Side.Mint, Side.Redeem]);
  });

  it('reverts for an index the issuer does not know', async () => {
    const order = await mintOrder({ index: await fx.usdc.getAddress() });
    await expectRevert(async () => submit(order), issuer, 'UnknownIndex', [await fx.usdc.getAddress()]);
  });

  it('reverts while the index is rebalancing', async () => {
    await (await issuer.setRebalancing(await fx.index.getAddress(), true)).wait();
    const order = await mintOrder();
    await expectRevert(async () => submit(order), issuer, 'IndexRebalancing', [await fx.index.getAddress()]);
  });

  it('reverts amounts below the minimum or above the maximum', async () => {
    const below = await mintOrder({ indexAmount: fx.config.minAmount - 1n });
    await expectRevert(submit(below), issuer, 'AmountOutOfRange', [below.indexAmount, fx.config.minAmount, fx.config.maxAmount]);
    const above = await mintOrder({ indexAmount: fx.config.maxAmount + 1n });
    await expectRevert(submit(above), issuer, 'AmountOutOfRange', [above.indexAmount, fx.config.minAmount, fx.config.maxAmount]);
  });

  it('reverts a cash token that is not allowed', async () => {
    const order = await mintOrder({ cashToken: await fx.assets[0].getAddress() });
    await expectRevert(async () => submit(order), issuer, 'CashTokenNotAllowed', [await fx.assets[0].getAddress()]);
  });

  it('reverts legs that differ from the tokenset in count', async () => {
    const order = await mintOrder();
    const short = { ...order, assets: order.assets.slice(1), amounts: order.amounts.slice(1) };
    await expectRevert(submit(short), issuer, 'BasketLengthMismatch', [3, 2]);
  });

  it('reverts a leg one unit short of the rounded-up amount', async () => {
    const order = await mintOrder();
    const amounts = [...order.amounts];
    amounts[1] -= 1n;
    await expectRevert(submit({ ...order, amounts }), issuer, 'BasketMismatch', [1, order.assets[1], order.amounts[1]]);
  });

  it('reverts legs in another order than the tokenset', async () => {
    const order = await mintOrder();
    const swapped = { ...order, assets: [order.assets[1], order.assets[0], order.assets[2]], amounts: [order.amounts[1], order.amounts[0], order.amounts[2]] };
    await expectRevert(submit(swapped), issuer, 'BasketMismatch', [0, order.assets[0], order.amounts[0]]);
  });

  it('reverts a nonce that was already used', async () => {
    const order = await mintOrder();
    await (await submit(order)).wait();
    const again = await mintOrder({ nonce: order.nonce, indexAmount: ONE });
    await expectRevert(submit(again), issuer, 'NonceAlreadyUsed', [order.maker, order.nonce]);
  });

  it('reverts a nonce the maker invalidated and names the owner, word and mask', async () => {
    const order = await mintOrder({ nonce: 256n * 3n + 7n });
    const tx = await as(issuer, fx.pmm).invalidateUnorderedNonces(3, 1n << 7n);
    const receipt = await tx.wait();
    const event = issuer.interface.parseLog(receipt.logs[0]);
    expect(event?.name).toBe('UnorderedNonceInvalidation');
    expect([...event!.args]).toEqual([order.maker, 3n, 1n << 7n]);
    expect(await issuer.isNonceUsed(order.maker, order.nonce)).toBe(true);
    await expectRevert(submit(order), issuer, 'NonceAlreadyUsed', [order.maker, order.nonce]);
  });

  it('reverts when the order names a maker without the maker role', async () => {
    const order = await mintOrder({ maker: await fx.outsider.getAddress() });
    await expectRevert(async () => submit(order, { signature: await sign(fx.outsider, order, fx.domain) }), issuer, 'NotMaker', [
      await fx.outsider.getAddress(),
    ]);
  });

  it('reverts a signature by someone other than the maker', async () => {
    const order = await mintOrder();
    await expectRevert(submit(order, { signature: await sign(fx.wlp, order, fx.domain) }), issuer, 'InvalidSignature', [order.maker]);
  });

  it('reverts a signature made for another chain id', async () => {
    const order = await mintOrder();
    const otherChain = issuerDomain(8453n, await issuer.getAddress());
    await expectRevert(submit(order, { signature: await sign(fx.pmm, order, otherChain) }), issuer, 'InvalidSignature', [order.maker]);
  });

  it('reverts a signature made for another verifying contract', async () => {
    const order = await mintOrder();
    const otherContract = issuerDomain(31337n, await fx.index.getAddress());
    await expectRevert(submit(order, { signature: await sign(fx.pmm, order, otherContract) }), issuer, 'InvalidSignature', [
      order.maker,
    ]);
  });

  it('reverts a signature whose order was altered after signing', async () => {
    const order = await mintOrder();
    const signature = await sign(fx.pmm, order, fx.domain);
    await expectRevert(submit({ ...order, cashAmount: order.cashAmount - 1n }, { signature }), issuer, 'InvalidSignature');
  });

  it('reverts while the issuer is paused', async () => {
    await (await issuer.pause()).wait();
    await expectRevert(submit(await mintOrder()), issuer, 'EnforcedPause');
  });

  it('reverts while the index token is paused', async () => {
    await (await fx.index.pause()).wait();
    await expectRevert(submit(await mintOrder()), fx.index, 'EnforcedPause');
  });

  it('accepts an order signed by a smart-contract maker (ERC-1271)', async () => {
    const makerContract = (await (await hre.ethers.getContractFactory('MockContractMaker', fx.pmm)).deploy(await fx.pmm.getAddress())) as unknown as Contract;
    const makerAddress = await makerContract.getAddress();
    await (await issuer.grantRole(await issuer.MAKER_ROLE(), makerAddress)).wait();
    const order = await mintOrder({ maker: makerAddress });
    for (let i = 0; i < order.assets.length; i++) {
      const token = await hre.ethers.getContractAt('TestToken', order.assets[i]);
      await (await token.mint(makerAddress, order.amounts[i])).wait();
      await (await makerContract.approve(order.assets[i], await issuer.getAddress(), order.amounts[i])).wait();
    }
    await (await submit(order, { signature: await sign(fx.pmm, order, fx.domain) })).wait();
    expect(await fx.usdc.balanceOf(makerAddress)).toBe(order.cashAmount);
  });

  it('verifyOrder returns the digest and fee of a valid order and the submission error of an invalid one', async () => {
    const order = await mintOrder();
    const signature = await sign(fx.pmm, order, fx.domain);
    const [digest, fee] = await issuer.verifyOrder(order, signature, 30);
    expect(digest).toBe(await issuer.hashOrder(order));
    expect(fee).toBe(feeFor(order.cashAmount, 30));
    await expectRevert(issuer.verifyOrder(order, signature, 10), issuer, 'FeeAboveMax', [30, 10]);
    expect(await issuer.isNonceUsed(order.maker, order.nonce)).toBe(false);
  });

  it('the contract and the TypeScript port compute the same legs for both sides', async () => {
    for (const amount of [ONE / 100n, ONE + 1n, 777n * ONE + 999_999n]) {
      for (const side of [Side.Mint, Side.Redeem]) {
        const [assets, amounts] = await issuer.basketFor(await fx.index.getAddress(), amount, side);
        const ported = basketFor(fx.tokenset, amount, side);
        expect([...assets]).toEqual(ported.assets);
        expect([...amounts]).toEqual(ported.amounts);
      }
    }
  });
});
