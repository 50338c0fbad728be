import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { chainNonce, startWorld, type World, tokenAddress, tokenBalance, transferData } from '../../helpers/relayer-world';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.stop();
});

const token = () => tokenAddress(world);
const transfer = (to: string, amount: bigint) => transferData(world, to, amount);
const balanceOf = (who: string) => tokenBalance(world, who);

const ACTIONS = 200;
const INSTANCES = 8;

test(`${ACTIONS} actions submitted at once from ${INSTANCES} relayer instances sharing one address all mine, each nonce used exactly once`, async () => {
  const { keyId, address } = await world.newSigner();
  // A chain that mines on its own every 250 ms and queues out-of-order nonces, like a real node.
  await world.admin.send('evm_setAutomine', [false]);
  await world.admin.send('evm_setIntervalMining', [250]);
  const relayers = Array.from({ length: INSTANCES }, () => world.relayer(keyId, { pollMs: 250 }));
  const recipients = Array.from({ length: ACTIONS }, () => Wallet.createRandom().address);
  const requests = recipients.map((recipient, i) => ({ key: `load:${i}:${randomUUID()}`, to: token(), data: transfer(recipient, BigInt(i + 1)) }));

  const records = await Promise.all(
    requests.map(async (request, i) => {
      const relayer = relayers[i % INSTANCES];
      await relayer.submit(request);
      return relayer.wait(request.key, { timeoutMs: 100_000 });
    }),
  );

  expect(records.map((r) => r.status)).toEqual(Array(ACTIONS).fill('mined'));
  expect(records.map((r) => r.nonce).sort((a, b) => a! - b!)).toEqual(Array.from({ length: ACTIONS }, (_, i) => i));
  expect(new Set(records.map((r) => r.txHash)).size).toBe(ACTIONS);
  expect(await chainNonce(world.admin, address)).toBe(ACTIONS);
  const slots = await world.store().slots(address, 0, ACTIONS + 10);
  expect(slots).toHaveLength(ACTIONS);
  expect(slots.every((slot) => slot.state === 'assigned' && slot.holders.length === 1)).toBe(true);
  expect(new Set(slots.map((slot) => slot.actionKey))).toEqual(new Set(requests.map((r) => r.key)));
  for (const i of [0, 57, 123, ACTIONS - 1]) expect(await balanceOf(recipients[i])).toBe(BigInt(i + 1));
  expect(await world.store().inFlight(address)).toHaveLength(0);
});
