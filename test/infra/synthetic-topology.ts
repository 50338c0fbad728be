import type { Topology } from '../../infra/stacks/declared';
import { BUCKETS, KEYS, TABLES, type FunctionSpec, type RouteSpec, type ScheduleSpec, type TableSpec } from '../../topology';

/**
 * A topology exercising what the declared one does not yet: a WLP route behind an authorizer,
 * a signer per key role, bucket writes, a table with a secondary index, a schedule with detail
 * and a background function without a schedule. Entries point at existing handlers; tests skip
 * bundling, so only their existence matters.
 */
const positions: TableSpec = {
  name: 'positions',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalIndexes: [{ name: 'byOwner', partitionKey: { name: 'owner', type: 'S' }, sortKey: { name: 'at', type: 'N' } }],
};

const fn = (name: string, rest: Partial<FunctionSpec>): FunctionSpec => ({
  name,
  entry: 'lambdas/handlers/heartbeat.ts',
  description: `synthetic ${name}`,
  timeoutSeconds: 10,
  memoryMb: 256,
  tables: {},
  keys: [],
  buckets: {},
  ...rest,
});

export const SYNTHETIC_FUNCTIONS: FunctionSpec[] = [
  fn('quotes', { entry: 'lambdas/handlers/read-api.ts', tables: { positions: 'read' } as FunctionSpec['tables'], publicKeys: ['operator'] }),
  fn('wlp-auth', { tables: { ops: 'read' } }),
  fn('reserves', { tables: { positions: 'write' } as FunctionSpec['tables'], keys: ['reserve'], buckets: { reports: 'write' }, reservedConcurrency: 1 }),
  fn('relayer', { tables: { ops: 'write' }, keys: ['operator'], buckets: { reports: 'read' }, reservedConcurrency: 1 }),
  fn('epochs', { tables: { ops: 'write' }, keys: ['rewards'], buckets: { reports: 'write' } }),
  fn('attester', { tables: { ops: 'read' }, keys: ['price'] }),
  fn('orders', { tables: { ops: 'read' }, keys: ['ussi-orders'] }),
  fn('custodian', { tables: { ops: 'read' }, keys: ['custodian'] }),
];

export const SYNTHETIC_ROUTES: RouteSpec[] = [
  { method: 'POST', path: '/v1/quotes', function: 'quotes' as RouteSpec['function'], auth: 'wlp' },
  { method: 'GET', path: '/v1/reserves/{symbol}', function: 'quotes' as RouteSpec['function'], auth: 'none' },
];

export const SYNTHETIC_SCHEDULES: ScheduleSpec[] = [
  { name: 'reserves-daily', function: 'reserves' as ScheduleSpec['function'], expression: 'cron(0 1 * * ? *)', detail: { index: 'MAG7.ssi', dryRun: false }, description: 'synthetic daily report' },
  { name: 'epochs-weekly', function: 'epochs' as ScheduleSpec['function'], expression: 'cron(0 0 ? * MON *)', description: 'synthetic epoch close' },
];

export const SYNTHETIC_TOPOLOGY: Topology = {
  tables: [...TABLES, positions],
  keys: KEYS,
  buckets: BUCKETS,
  functions: SYNTHETIC_FUNCTIONS,
  routes: SYNTHETIC_ROUTES,
  schedules: SYNTHETIC_SCHEDULES,
  stateMachines: [],
  authorizers: { wlp: 'wlp-auth' },
};
