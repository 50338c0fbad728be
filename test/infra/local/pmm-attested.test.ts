import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignedRebalanceOrders } from '../../../infra/local/pmm-attested';
import { StackError } from '../../../infra/local/net';
import type { RebalanceOrder } from '../../../lambdas/domain/rebalance-orders';

const order = (nonce: bigint): RebalanceOrder => ({
  index: '0x1111111111111111111111111111111111111111',
  sellAssets: ['0x2222222222222222222222222222222222222222'],
  sellAmounts: [123456789012345678901234567890n],
  buyAssets: ['0x3333333333333333333333333333333333333333', '0x4444444444444444444444444444444444444444'],
  buyAmounts: [1n, 2n ** 200n],
  maker: '0x5555555555555555555555555555555555555555',
  deadline: 1_800_000_000n,
  nonce,
});
const hashOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

describe("the PMM desk's signed rebalance orders", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pmm-orders-'));
    file = join(dir, 'pmm', 'signed-orders.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('an order signed before a restart is known after it, amounts exact; an opened one is gone', () => {
    const before = new SignedRebalanceOrders(file);
    before.set(hashOf(1), order(7n));
    before.set(hashOf(2).toUpperCase().replace('0X', '0x'), order(8n));
    const after = new SignedRebalanceOrders(file);
    expect(after.get(hashOf(1))).toEqual(order(7n));
    expect(after.get(hashOf(2))).toEqual(order(8n));
    after.delete(hashOf(1));
    const again = new SignedRebalanceOrders(file);
    expect(again.get(hashOf(1))).toBeUndefined();
    expect(again.get(hashOf(2))).toEqual(order(8n));
  });

  test('without a file the orders live in memory only', () => {
    const memory = new SignedRebalanceOrders();
    memory.set(hashOf(3), order(1n));
    expect(memory.get(hashOf(3))).toEqual(order(1n));
    expect(new SignedRebalanceOrders().get(hashOf(3))).toBeUndefined();
  });

  test('past the cap the oldest order is forgotten first', () => {
    const orders = new SignedRebalanceOrders(file);
    for (let i = 0; i <= 1_000; i++) orders.set(hashOf(i), order(BigInt(i)));
    const reloaded = new SignedRebalanceOrders(file);
    expect(reloaded.get(hashOf(0))).toBeUndefined();
    expect(reloaded.get(hashOf(1))).toEqual(order(1n));
    expect(reloaded.get(hashOf(1_000))).toEqual(order(1_000n));
  });

  test('a corrupt file stops the start with its name and reason', () => {
    new SignedRebalanceOrders(file).set(hashOf(1), order(1n));
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { orders: Record<string, { nonce: string }> };
    stored.orders[hashOf(1)]!.nonce = '-1';
    writeFileSync(file, JSON.stringify(stored));
    expect(() => new SignedRebalanceOrders(file)).toThrow(StackError);
    expect(() => new SignedRebalanceOrders(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*nonce`));
    writeFileSync(file, '{ not json');
    expect(() => new SignedRebalanceOrders(file)).toThrow(/unreadable or corrupt/);
  });
});
