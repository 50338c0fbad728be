import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { parseScheduleExpression } from '../schedule-expression';
import {
  API_AUTHORIZERS,
  BUCKETS,
  FUNCTIONS,
  KEYS,
  ROUTES,
  SCHEDULES,
  STATE_MACHINES,
  TABLES,
  scheduleTarget,
  type BucketSpec,
  type FunctionSpec,
  type KeySpec,
  type RouteSpec,
  type ScheduleSpec,
  type StateMachineSpec,
  type TableSpec,
} from '../topology';
import type { DeclaredTable } from '../constructs/ssi-function';
import { bucketPhysicalName, tablePhysicalName } from '../constructs/naming';

/**
 * The declarations the stacks are built from. The app passes topology/index.ts; tests pass
 * synthetic ones to prove wiring the declared topology does not exercise yet.
 */
export interface Topology {
  readonly tables: readonly TableSpec[];
  readonly keys: readonly KeySpec[];
  readonly buckets: readonly BucketSpec[];
  readonly functions: readonly FunctionSpec[];
  readonly routes: readonly RouteSpec[];
  readonly schedules: readonly ScheduleSpec[];
  readonly stateMachines: readonly StateMachineSpec[];
  readonly authorizers: Readonly<Partial<Record<'wlp', string>>>;
}

export const DECLARED_TOPOLOGY: Topology = {
  tables: TABLES,
  keys: KEYS,
  buckets: BUCKETS,
  functions: FUNCTIONS,
  routes: ROUTES,
  schedules: SCHEDULES,
  stateMachines: STATE_MACHINES,
  authorizers: API_AUTHORIZERS,
};

/**
 * What an environment deploys of `topology`: with USSI turned off (cdk.json `ussi: false`) none of
 * the functions that declare `product: 'ussi'`, nor the routes and schedules that start them.
 */
export function enabledTopology(topology: Topology, products: { readonly ussi: boolean }): Topology {
  const off = new Set(topology.functions.filter((fn) => fn.product === 'ussi' && !products.ussi).map((fn) => fn.name));
  if (!off.size) return topology;
  return {
    ...topology,
    functions: topology.functions.filter((fn) => !off.has(fn.name)),
    routes: topology.routes.filter((route) => !off.has(route.function)),
    schedules: topology.schedules.filter((schedule) => {
      const target = scheduleTarget(schedule);
      return !(target.kind === 'function' && off.has(target.name));
    }),
  };
}

/** Which stack runs each function: behind the API (routes, authorizers) or in the background (schedules and the rest). */
export interface FunctionPlacement {
  readonly api: readonly FunctionSpec[];
  readonly background: readonly FunctionSpec[];
}

/**
 * Checks the topology hangs together (every route, schedule and authorizer names a declared
 * function, names are unique, schedule expressions parse) and places each function in one
 * stack. A function both routed and scheduled is refused: one function, one invocation path.
 */
export function placeFunctions(topology: Topology): FunctionPlacement {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const fn of topology.functions) {
    if (names.has(fn.name)) problems.push(`function ${fn.name} is declared twice`);
    names.add(fn.name);
  }
  const routed = new Set<string>();
  const routeKeys = new Set<string>();
  for (const route of topology.routes) {
    const key = `${route.method} ${route.path}`;
    if (routeKeys.has(key)) problems.push(`route ${key} is declared twice`);
    routeKeys.add(key);
    if (!names.has(route.function)) problems.push(`route ${key} names function ${route.function}, which is not declared`);
    routed.add(route.function);
  }
  for (const [kind, fn] of Object.entries(topology.authorizers)) {
    if (fn === undefined) continue;
    if (!names.has(fn)) problems.push(`the ${kind} authorizer names function ${fn}, which is not declared`);
    routed.add(fn);
  }
  const scheduled = new Set<string>();
  const scheduleNames = new Set<string>();
  for (const schedule of topology.schedules) {
    if (scheduleNames.has(schedule.name)) problems.push(`schedule ${schedule.name} is declared twice`);
    scheduleNames.add(schedule.name);
    try {
      parseScheduleExpression(schedule.expression);
      const target = scheduleTarget(schedule);
      const starts = target.kind === 'function' ? [target.name] : (topology.stateMachines.find((m) => m.name === target.name)?.steps.map((s) => s.function) ?? []);
      if (target.kind === 'stateMachine' && !starts.length) problems.push(`schedule ${schedule.name} names state machine ${target.name}, which is not declared`);
      for (const fn of starts) {
        if (!names.has(fn)) problems.push(`schedule ${schedule.name} runs function ${fn}, which is not declared`);
        scheduled.add(fn);
      }
    } catch (error) {
      problems.push(`schedule ${schedule.name}: ${(error as Error).message}`);
    }
  }
  for (const fn of routed) {
    if (scheduled.has(fn)) problems.push(`function ${fn} is both behind the API and scheduled: give each invocation path its own function`);
  }
  if (problems.length > 0) throw new Error(`topology/index.ts does not hang together:\n  ${problems.join('\n  ')}`);
  return {
    api: topology.functions.filter((fn) => routed.has(fn.name)),
    background: topology.functions.filter((fn) => !routed.has(fn.name)),
  };
}

/**
 * The data stack's tables and buckets as seen from another stack, by their fixed physical
 * names: grants then name them directly instead of through CloudFormation exports.
 */
export function importData(scope: Construct, environmentName: string, topology: Topology): { tables: Record<string, DeclaredTable>; buckets: Record<string, IBucket> } {
  const tables: Record<string, DeclaredTable> = {};
  for (const spec of topology.tables) {
    const indexes = spec.globalIndexes?.map((index) => index.name) ?? [];
    tables[spec.name] = {
      table: Table.fromTableAttributes(scope, `Table-${spec.name}`, { tableName: tablePhysicalName(environmentName, spec.name), globalIndexes: indexes }),
      hasIndexes: indexes.length > 0,
    };
  }
  const buckets: Record<string, IBucket> = {};
  for (const spec of topology.buckets) {
    buckets[spec.name] = Bucket.fromBucketName(scope, `Bucket-${spec.name}`, bucketPhysicalName(scope, environmentName, spec.name));
  }
  return { tables, buckets };
}
