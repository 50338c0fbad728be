import { Interface, Log, toBeHex, type Provider } from 'ethers';
import { ISSUER_REQUEST_EVENTS, ISSUER_REQUEST_TOPICS, requestsFromLogs } from '../../../lambdas/domain/issuer-events';

const ISSUER = new Interface(ISSUER_REQUEST_EVENTS);
const INDEX = '0x1111111111111111111111111111111111111111';
const WLP = '0x2222222222222222222222222222222222222222';
const MAKER = '0x3333333333333333333333333333333333333333';
const USDC = '0x4444444444444444444444444444444444444444';
const hash = (n: number) => toBeHex(n, 32);

let logIndex = 0;
/** A log as the Issuer emits it, in block `block` of transaction `tx`. */
function log(name: string, args: unknown[], block: number, tx: number): Log {
  const { data, topics } = ISSUER.encodeEventLog(name, args);
  return new Log({ address: '0x5555555555555555555555555555555555555555', data, topics, blockNumber: block, blockHash: hash(block), transactionHash: hash(1000 + tx), transactionIndex: 0, index: logIndex++, removed: false }, null as unknown as Provider);
}

describe('a WLP request history from the Issuer events', () => {
  test('every request event is in the filter topics (the Issuer ABI agrees)', () => {
    const artifact = require('../../../artifacts/contracts/index/Issuer.sol/Issuer.json') as { abi: unknown[] };
    const onChain = new Interface(artifact.abi as never);
    ISSUER.forEachEvent((event) => expect([event.name, onChain.getEvent(event.name)?.topicHash]).toEqual([event.name, event.topicHash]));
    expect(ISSUER_REQUEST_TOPICS).toHaveLength(8);
  });

  test('requests fold into one entry per order, newest first: filled, pending with its expiry, cancelled, rejected', () => {
    const logs = [
      // order 1: requested in block 10, filled in block 12
      log('MintRequested', [hash(1), INDEX, WLP, MAKER, 5n, USDC, 500n, 1n, 2_000n], 10, 1),
      log('Minted', [hash(1), INDEX, WLP, MAKER, 5n, USDC, 500n, 1n], 12, 2),
      // order 2: a direct mint (only the fill), block 11
      log('Minted', [hash(2), INDEX, WLP, MAKER, 2n, USDC, 210n, 0n], 11, 3),
      // order 3: a redeem requested in block 20, still pending
      log('RedeemRequested', [hash(3), INDEX, WLP, MAKER, 7n, USDC, 690n, 1n, 3_000n], 20, 4),
      // order 4: requested then cancelled by its requester; order 5: requested then rejected by its maker
      log('MintRequested', [hash(4), INDEX, WLP, MAKER, 1n, USDC, 100n, 0n, 2_500n], 15, 5),
      log('MintCancelled', [hash(4), INDEX, WLP, USDC, 100n], 16, 6),
      log('RedeemRequested', [hash(5), INDEX, WLP, MAKER, 3n, USDC, 300n, 0n, 2_600n], 17, 7),
      log('RedeemRejected', [hash(5), INDEX, WLP, MAKER, 3n], 18, 8),
    ];
    // Given out of order: the fold orders by block and log index itself.
    const requests = requestsFromLogs([...logs].reverse());

    expect(requests.map((r) => [r.orderHash, r.side, r.status, r.expiresAt, r.indexAmount])).toEqual([
      [hash(3), 'redeem', 'pending', 3_000, 7n],
      [hash(5), 'redeem', 'rejected', null, 3n],
      [hash(4), 'mint', 'cancelled', null, 1n],
      [hash(2), 'mint', 'filled', null, 2n],
      [hash(1), 'mint', 'filled', null, 5n],
    ]);
    expect(requests[4]).toMatchObject({ cashToken: USDC, cashAmount: 500n, block: 10, txs: [{ what: 'requested', hash: hash(1001) }, { what: 'filled', hash: hash(1002) }] });
    expect(requests[2]!.txs.map((t) => t.what)).toEqual(['requested', 'cancelled']);
    expect(requestsFromLogs([])).toEqual([]);
  });
});
