/**
 * Splitting an epoch's reward pool in proportion to points, in integer token units that sum
 * exactly to the pool (largest remainder), and carrying cumulative totals across epochs for the
 * claim tree (the distributor pays the difference between a leaf's cumulative amount and what
 * the account already claimed).
 */

/**
 * Each account's share of `pool` in proportion to its points: floor(pool x points / total), then
 * the units left over go one each to the largest remainders; equal remainders go to more points
 * first, then to the lower address. Accounts with zero points are left out. With no points at
 * all the result is empty: nothing is allocated and the caller carries the pool over.
 */
export function allocate(pool: bigint, points: ReadonlyMap<string, bigint>): Map<string, bigint> {
  if (pool < 0n) throw new RangeError(`pool cannot be negative: ${pool}`);
  const accounts: string[] = [];
  const weights: bigint[] = [];
  let total = 0n;
  for (const [account, weight] of points) {
    if (weight < 0n) throw new RangeError(`negative points for ${account}: ${weight}`);
    if (weight === 0n) continue;
    accounts.push(account);
    weights.push(weight);
    total += weight;
  }
  const result = new Map<string, bigint>();
  if (total === 0n) return result;
  const amounts: bigint[] = new Array(accounts.length);
  const remainders: bigint[] = new Array(accounts.length);
  let given = 0n;
  for (let i = 0; i < accounts.length; i++) {
    const scaled = pool * weights[i];
    amounts[i] = scaled / total;
    remainders[i] = scaled % total;
    given += amounts[i];
  }
  // Fewer units are left than accounts (each floor loses less than one unit).
  let left = pool - given;
  if (left > 0n) {
    const order = accounts.map((_, i) => i);
    order.sort((a, b) => {
      if (remainders[a] !== remainders[b]) return remainders[a] > remainders[b] ? -1 : 1;
      if (weights[a] !== weights[b]) return weights[a] > weights[b] ? -1 : 1;
      return accounts[a] < accounts[b] ? -1 : accounts[a] > accounts[b] ? 1 : 0;
    });
    for (let k = 0; left > 0n; k++, left--) amounts[order[k]] += 1n;
  }
  for (let i = 0; i < accounts.length; i++) result.set(accounts[i], amounts[i]);
  return result;
}

/** Cumulative claimable totals after an epoch: previous cumulative plus this epoch's allocation. */
export function accumulate(previous: ReadonlyMap<string, bigint>, allocation: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const cumulative = new Map(previous);
  for (const [account, amount] of allocation) {
    if (amount < 0n) throw new RangeError(`negative allocation for ${account}`);
    cumulative.set(account, (cumulative.get(account) ?? 0n) + amount);
  }
  return cumulative;
}
