import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { startDynamo, type RunningDynamo } from '../../../infra/local/dynamodb';
import { freePort } from '../../helpers/dynamo';

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The machine's addresses that are not loopback (IPv4 and IPv6, link-local IPv6 left out: it needs a zone). */
const outsideAddresses = (): string[] =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')))
    .map((a) => a!.address);

describe('DynamoDB Local listens on loopback only', () => {
  let dynamo: RunningDynamo;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    dynamo = await startDynamo(port);
  }, 90_000);
  afterAll(() => dynamo?.stop());

  const addresses = outsideAddresses();
  const outside = addresses.length ? test : test.skip;
  if (!addresses.length) console.warn('skipped: this machine has no non-loopback network address to probe DynamoDB Local on');

  outside('DynamoDB Local listens on every interface: its port refuses connections on the machine\'s non-loopback addresses', async () => {
    for (const address of addresses) expect([address, await accepts(address, port)]).toEqual([address, false]);
  });

  test('DynamoDB Local answers on 127.0.0.1', async () => {
    expect(await accepts('127.0.0.1', port)).toBe(true);
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${port}`);
  });
});
