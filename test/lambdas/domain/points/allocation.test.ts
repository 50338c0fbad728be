import fc from 'fast-check';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { accumulate, allocate, settleEpoch } from '../../../../lambdas/domain/points';

const address = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`;
const sum = (values: Iterable<bigint>): bigint => [...values].reduce((a, b) => a + b, 0n);

const pointsArbitrary = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.bigInt({ min: 0n, max: 10n ** 24n })), { minLength: 1, maxLength: 60 })
  .map((entries) => new Map(entries.map(([n, p]) => [address(n), p])));

describe('allocating an epoch pool by points', () => {
  test('the amounts always sum exactly to the pool when anyone has points', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), pointsArbitrary, (pool, points) => {
        fc.pre(sum(points.values()) > 0n);

        expect(sum(allocate(pool, points).values())).toBe(pool);
      }),
    );
  });

  test('each amount is within one unit of its exact proportional share', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), pointsArbitrary, (pool, points) => {
        const total = sum(points.values());
        fc.pre(total > 0n);

        for (const [account, amount] of allocate(pool, points)) {
          const exactTimesTotal = pool * (points.get(account) as bigint);
          // |amount - pool x p / total| < 1, in integers.
          expect(amount * total - exactTimesTotal < total).toBe(true);
          expect(exactTimesTotal - amount * total < total).toBe(true);
        }
      }),
    );
  });

  test('an account with twice the points gets twice the amount when the pool divides evenly', () => {
    const allocation = allocate(3000n, new Map([
      [address(1), 100n],
      [address(2), 200n],
    ]));

    expect(allocation).toEqual(new Map([
      [address(1), 1000n],
      [address(2), 2000n],
    ]));
  });

  test('equal points and equal remainders: the leftover unit goes to the lowest address', () => {
    const points = new Map([
      [address(3), 1n],
      [address(1), 1n],
      [address(2), 1n],
    ]);

    expect(allocate(10n, points)).toEqual(new Map([
      [address(3), 3n],
      [address(1), 4n],
      [address(2), 3n],
    ]));
    expect(allocate(11n, points)).toEqual(new Map([
      [address(3), 3n],
      [address(1), 4n],
      [address(2), 4n],
    ]));
  });

  test('dust: a pool smaller than the number of accounts goes to the largest remainders', () => {
    // Shares of 2 units: 0.9, 0.7, 0.4 -> floors 0, 0, 0; the 2 units go to 0.9 and 0.7.
    const points = new Map([
      [address(1), 45n],
      [address(2), 35n],
      [address(3), 20n],
    ]);

    expect(allocate(2n, points)).toEqual(new Map([
      [address(1), 1n],
      [address(2), 1n],
      [address(3), 0n],
    ]));
  });

  test('equal remainders with different points: the unit goes to more points before the lower address', () => {
    // pool 4 over points 1, 3, 4 (total 8): shares 0.5, 1.5, 2.0 -> floors 0, 1, 2, one unit left,
    // remainders tie at 0.5 between address 1 (1 point) and address 2 (3 points).
    const points = new Map([
      [address(1), 1n],
      [address(2), 3n],
      [address(3), 4n],
    ]);

    expect(allocate(4n, points)).toEqual(new Map([
      [address(1), 0n],
      [address(2), 2n],
      [address(3), 2n],
    ]));
  });

  test('zero points: nothing is allocated, and accounts with zero points are left out', () => {
    expect(allocate(1000n, new Map())).toEqual(new Map());
    expect(allocate(1000n, new Map([[address(1), 0n]]))).toEqual(new Map());
    expect(allocate(1000n, new Map([
      [address(1), 0n],
      [address(2), 5n],
    ]))).toEqual(new Map([[address(2), 1000n]]));
  });

  test('the result does not depend on the order points are listed in', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n }), pointsArbitrary, (pool, points) => {
        const reversed = new Map([...points].reverse());

        expect(new Map([...allocate(pool, reversed)].sort())).toEqual(new Map([...allocate(pool, points)].sort()));
      }),
    );
  });

  test('negative pools and negative points are refused', () => {
    expect(() => allocate(-1n, new Map([[address(1), 1n]]))).toThrow('pool cannot be negative');
    expect(() => allocate(1n, new Map([[address(1), -1n]]))).toThrow('negative points');
  });
});

describe('cumulative allocations and epoch settlement', () => {
  test('cumulative amounts add each epoch allocation to the previous ones', () => {
    const first = new Map([
      [address(1), 10n],
      [address(2), 5n],
    ]);
    const second = new Map([
      [address(2), 1n],
      [address(3), 7n],
    ]);

    expect(accumulate(first, second)).toEqual(new Map([
      [address(1), 10n],
      [address(2), 6n],
      [address(3), 7n],
    ]));
    expect(first.get(address(2))).toBe(5n);
  });

  test('settling an epoch allocates the pool, accumulates and builds the OpenZeppelin-compatible claim tree', () => {
    const previous = new Map([[address(5), 100n]]);
    const points = new Map([
      [address(1), 1n],
      [address(5), 3n],
    ]);

    const settlement = settleEpoch(3, 1000n, points, previous);

    expect(settlement.allocation).toEqual(new Map([
      [address(1), 250n],
      [address(5), 750n],
    ]));
    expect(settlement.unallocated).toBe(0n);
    expect(settlement.cumulative).toEqual(new Map([
      [address(5), 850n],
      [address(1), 250n],
    ]));
    const expected = StandardMerkleTree.of(
      [
        [address(1), '250'],
        [address(5), '850'],
      ],
      ['address', 'uint256'],
    );
    expect(settlement.tree?.root).toBe(expected.root);
  });

  test('an epoch nobody earned points in leaves the pool unallocated and the claims as they were', () => {
    const previous = new Map([[address(5), 100n]]);

    const settlement = settleEpoch(4, 1000n, new Map(), previous);

    expect(settlement.unallocated).toBe(1000n);
    expect(settlement.cumulative).toEqual(previous);
    expect(settlement.tree?.claimOf(address(5))?.amount).toBe(100n);
    expect(settleEpoch(1, 1000n, new Map(), new Map()).tree).toBeUndefined();
  });
});
