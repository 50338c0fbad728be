/**
 * The deployment's shape, declared once: tables, signing keys, buckets, functions, HTTP routes
 * and schedules. The CDK app builds AWS resources from it and the local stack builds DynamoDB
 * Local tables, local KMS keys, s3rver buckets, the API Gateway adapter and the scheduler from
 * the very same entries, so the two cannot drift apart.
 */

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface TableSpec {
  /** Logical name; the local stack prefixes it, CloudFormation generates the physical name. */
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attribute holding an epoch-seconds expiry, when items expire. */
  readonly ttlAttribute?: string;
  readonly globalIndexes?: ReadonlyArray<{ readonly name: string; readonly partitionKey: KeyAttribute; readonly sortKey?: KeyAttribute }>;
}

/** A KMS secp256k1 signing key per role, so a leak or misuse of one cannot sign for another. */
export interface KeySpec {
  readonly role: KeyRole;
  readonly alias: string;
  readonly description: string;
}

export interface BucketSpec {
  readonly name: string;
  readonly description: string;
}

export type Access = 'read' | 'write';

export interface FunctionSpec {
  readonly name: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly tables: Readonly<Partial<Record<TableName, Access>>>;
  readonly keys: readonly KeyRole[];
  readonly buckets: Readonly<Partial<Record<BucketName, Access>>>;
  /** Caps concurrent runs where two at once would do harm (sagas, publishers). */
  readonly reservedConcurrency?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. /v1/indexes/{symbol}. */
  readonly path: string;
  readonly function: FunctionName;
  /** `wlp`: the caller must present a WLP API key; `none`: public. */
  readonly auth: 'none' | 'wlp';
}

export interface ScheduleSpec {
  readonly name: string;
  readonly function: FunctionName;
  /** EventBridge expression: rate(...) or cron(...). */
  readonly expression: string;
  /** A faster cadence for the local stack, where a daily run would never be seen. */
  readonly localExpression?: string;
  /** Carried as the scheduled event's `detail` (e.g. which index a rebalance is for). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
  readonly description: string;
}

export const KEYS = [
  { role: 'operator', alias: 'alias/ssi-operator', description: 'Signs operator transactions (confirmations, rebalances, NAV, fee sales)' },
  { role: 'reserve', alias: 'alias/ssi-reserve-report', description: 'Signs proof-of-reserve reports and posts their roots' },
  { role: 'rewards', alias: 'alias/ssi-rewards', description: 'Publishes epoch reward roots' },
] as const satisfies readonly KeySpec[];
export type KeyRole = 'operator' | 'reserve' | 'rewards';

export const BUCKETS = [
  { name: 'reports', description: 'Reserve reports and reward trees; versioned, never overwritten' },
] as const satisfies readonly BucketSpec[];
export type BucketName = (typeof BUCKETS)[number]['name'];

export const TABLES = [
  {
    // Operational records: heartbeats, circuit breakers, schedule bookkeeping.
    name: 'ops',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  {
    // Powertools idempotency records (makeIdempotent).
    name: 'idempotency',
    partitionKey: { name: 'id', type: 'S' },
    ttlAttribute: 'expiration',
  },
  {
    // Audit trail of every quote the API gave or refused: id = the order hash (or the request id
    // of a refused request), every PMM answer with the reason it was taken or rejected.
    name: 'quotes',
    partitionKey: { name: 'id', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  {
    // WLP API keys, stored only as sha256(key): keyHash -> wlp address, name, rate limit, quota, enabled.
    name: 'wlp-keys',
    partitionKey: { name: 'keyHash', type: 'S' },
  },
  {
    // Per-key rate and quota counters, one item per window (rate#<key id>#<second>, quota#<key id>#<day>).
    name: 'wlp-usage',
    partitionKey: { name: 'pk', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
] as const satisfies readonly TableSpec[];
export type TableName = (typeof TABLES)[number]['name'];

export const FUNCTIONS = [
  {
    name: 'read-api',
    entry: 'lambdas/read-api/handler.ts',
    description: 'Public read API: protocol, indexes, reserves, points, portfolio',
    timeoutSeconds: 10,
    memoryMb: 512,
    tables: { ops: 'read' },
    keys: ['operator'],
    buckets: {},
  },
  {
    name: 'quote-api',
    entry: 'lambdas/quotes/handler.ts',
    description: 'WLP quote API: RFQ to the PMMs, firm signed quote orders, indexes with NAV, OpenAPI document',
    timeoutSeconds: 10,
    memoryMb: 1024,
    tables: { quotes: 'write', 'wlp-usage': 'write' },
    keys: [],
    buckets: {},
  },
  {
    name: 'wlp-authorizer',
    entry: 'lambdas/quotes/authorizer.ts',
    description: 'HTTP API Lambda authorizer (simple responses): WLP API key -> WLP identity and limits',
    timeoutSeconds: 5,
    memoryMb: 256,
    tables: { 'wlp-keys': 'read' },
    keys: [],
    buckets: {},
  },
  {
    name: 'heartbeat',
    entry: 'lambdas/heartbeat/handler.ts',
    description: 'Records the chain head it sees, so operators and /health know the schedules run',
    timeoutSeconds: 30,
    memoryMb: 256,
    tables: { ops: 'write' },
    keys: [],
    buckets: {},
    reservedConcurrency: 1,
  },
] as const satisfies readonly FunctionSpec[];
export type FunctionName = (typeof FUNCTIONS)[number]['name'];

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/v1/protocol', function: 'read-api', auth: 'none' },
  { method: 'POST', path: '/v1/quotes', function: 'quote-api', auth: 'wlp' },
  { method: 'GET', path: '/v1/quotes/{id}', function: 'quote-api', auth: 'wlp' },
  { method: 'GET', path: '/v1/indexes', function: 'quote-api', auth: 'none' },
  { method: 'GET', path: '/v1/indexes/{symbol}', function: 'quote-api', auth: 'none' },
  { method: 'GET', path: '/v1/openapi.json', function: 'quote-api', auth: 'none' },
];

/**
 * Lambda authorizers of the HTTP API by route auth kind. Every route with `auth: 'wlp'` goes
 * through the `wlp` authorizer (an HTTP API Lambda authorizer with simple responses, identity
 * source the WLP_API_KEY_HEADER header).
 */
export const API_AUTHORIZERS: Readonly<Partial<Record<'wlp', FunctionName>>> = { wlp: 'wlp-authorizer' };

/** Header a WLP presents its API key in; the authorizer's identity source. */
export const WLP_API_KEY_HEADER = 'x-api-key';

export const SCHEDULES: readonly ScheduleSpec[] = [
  {
    name: 'heartbeat',
    function: 'heartbeat',
    expression: 'rate(5 minutes)',
    localExpression: 'rate(1 minute)',
    description: 'Chain head check',
  },
];

/** Environment variable a function reads a table name from, e.g. TABLE_OPS. */
export const tableEnv = (table: TableName): string => `TABLE_${table.toUpperCase().replace(/-/g, '_')}`;
/** Environment variable a function reads a KMS key id from, e.g. KMS_KEY_OPERATOR. */
export const keyEnv = (role: KeyRole): string => `KMS_KEY_${role.toUpperCase()}`;
/** Environment variable a function reads a bucket name from, e.g. BUCKET_REPORTS. */
export const bucketEnv = (bucket: BucketName): string => `BUCKET_${bucket.toUpperCase().replace(/-/g, '_')}`;

export function functionSpec(name: FunctionName): FunctionSpec {
  const spec = FUNCTIONS.find((f) => f.name === name);
  if (!spec) throw new Error(`no function named ${name} in the topology`);
  return spec;
}

/** Physical names of the declared resources in one environment (CloudFormation tokens in CDK). */
export interface ResolvedResources {
  readonly tables: Readonly<Record<TableName, string>>;
  readonly keys: Readonly<Record<KeyRole, string>>;
  readonly buckets: Readonly<Record<BucketName, string>>;
}

/** The variables a function gets: only the tables, keys and buckets it declares. */
export function functionEnvironment(spec: FunctionSpec, resources: ResolvedResources): Record<string, string> {
  const env: Record<string, string> = { POWERTOOLS_SERVICE_NAME: `ssi-${spec.name}`, POWERTOOLS_METRICS_NAMESPACE: 'SSI' };
  for (const table of Object.keys(spec.tables) as TableName[]) env[tableEnv(table)] = resources.tables[table];
  for (const role of spec.keys) env[keyEnv(role)] = resources.keys[role];
  for (const bucket of Object.keys(spec.buckets) as BucketName[]) env[bucketEnv(bucket)] = resources.buckets[bucket];
  return env;
}
