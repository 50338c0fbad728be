import { API_AUTHORIZERS, FUNCTIONS, KEYS, ROUTES, type KeyRole } from '../../topology';

/*
 * Security review item 8: a function reachable from API Gateway must not be able to sign with a
 * key that holds an on-chain role beyond its purpose. The only such key is ussi-orders, the USSI
 * contract's order signer, which the deploy grants no role (test/scripts/deploy/ussi.integration.test.ts).
 */
const ORDER_KEYS: readonly KeyRole[] = ['ussi-orders'];

describe('key separation in the topology', () => {
  const reachable = new Set<string>([...ROUTES.map((r) => r.function), ...Object.values(API_AUTHORIZERS)]);

  test('functions behind the API sign only with order keys', () => {
    const signing = FUNCTIONS.filter((f) => reachable.has(f.name) && f.keys.length > 0).map((f) => [f.name, [...f.keys]]);
    expect(signing.length).toBeGreaterThan(0);
    for (const [name, keys] of signing) expect({ name, keys: (keys as KeyRole[]).filter((k) => !ORDER_KEYS.includes(k)) }).toEqual({ name, keys: [] });
  });

  test('the admin key (onboarding roles) is held by no function, behind the API or in the background: only the operator CLI signs with it', () => {
    const operatorOnly = KEYS.filter((k) => 'operatorOnly' in k && k.operatorOnly).map((k) => k.role);
    expect(operatorOnly).toEqual(['admin']);
    const holders = FUNCTIONS.filter((f) => [...f.keys, ...('publicKeys' in f ? (f.publicKeys as readonly KeyRole[]) : [])].some((k) => operatorOnly.includes(k))).map((f) => f.name);
    expect(holders).toEqual([]);
  });

  test('order keys only sign (no relayer, no transactions) and no background function uses them', () => {
    for (const role of ORDER_KEYS) {
      expect(KEYS.find((k) => k.role === role)).toMatchObject({ signsOnly: true });
      const users = FUNCTIONS.filter((f) => (f.keys as readonly KeyRole[]).includes(role)).map((f) => f.name);
      expect(users.every((name) => reachable.has(name))).toBe(true);
    }
  });
});
