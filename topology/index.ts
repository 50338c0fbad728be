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
  /** The key only signs messages and never sends a transaction, so it has no relayer (and no nonce to watch). */
  readonly signsOnly?: boolean;
  /**
   * Only an operator's CLI signs with it (`ssi admin`, through the relayer): no function may declare
   * it, so no Lambda role can sign with it, and the relayer monitor does not tick it.
   */
  readonly operatorOnly?: boolean;
}

export interface BucketSpec {
  readonly name: string;
  readonly description: string;
  /** Working files: objects expire this many days after they are written. Unset: kept. */
  readonly expireAfterDays?: number;
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
  /** Keys the function signs with (kms:Sign); only these functions' roles may sign with them. */
  readonly keys: readonly KeyRole[];
  /** Keys whose public key (the signer's address) the function reads but never signs with. */
  readonly publicKeys?: readonly KeyRole[];
  readonly buckets: Readonly<Partial<Record<BucketName, Access>>>;
  /** Caps concurrent runs where two at once would do harm (sagas, publishers). */
  readonly reservedConcurrency?: number;
  /**
   * Part of an optional product: an environment that turns the product off (cdk.json `ussi: false`)
   * deploys neither this function nor the routes and schedules that start it.
   */
  readonly product?: 'ussi';
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
  /** What the schedule starts: a function, or (instead) a declared state machine. */
  readonly function?: FunctionName;
  readonly stateMachine?: StateMachineName;
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
  { role: 'price', alias: 'alias/ssi-price-attester', description: 'Signs rebalance and fee-sale price attestations (PRICE_ATTESTER_ROLE only)', signsOnly: true },
  // The only key a function behind the API may sign with: the USSI contract's orderSigner, no role.
  { role: 'ussi-orders', alias: 'alias/ssi-ussi-orders', description: "Signs USSI hedge orders (the USSI contract's order signer; no on-chain role)", signsOnly: true },
  { role: 'custodian', alias: 'alias/ssi-custodian', description: 'Signs custodian leg attestations and daily custodian balance statements', signsOnly: true },
  // No function signs with it: only an operator's `ssi admin roles` (cli/roles.ts), through the relayer.
  { role: 'admin', alias: 'alias/ssi-admin', description: 'Grants and revokes the onboarding roles (participant, maker) through `ssi admin roles`; no function signs with it', operatorOnly: true },
] as const satisfies readonly KeySpec[];
export type KeyRole = 'operator' | 'reserve' | 'rewards' | 'price' | 'ussi-orders' | 'custodian' | 'admin';

export const BUCKETS = [
  { name: 'reports', description: 'Reserve reports and reward trees; versioned, never overwritten' },
  { name: 'points-work', description: "Points snapshot working files: each day's shard lists and partial results (rewritten by a re-run, expire after 14 days)", expireAfterDays: 14 },
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
    // SSI points: per user per day, per user per epoch (leaderboard GSI, sharded), referral links,
    // claims, epoch records. Key design in lambdas/points/store.ts.
    name: 'points',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [{ name: 'leaderboard', partitionKey: { name: 'lbPk', type: 'S' }, sortKey: { name: 'lbSk', type: 'S' } }],
  },
  {
    // Relayer nonce book, per signing address: sk `head` holds the next nonce and the released
    // ones; sk `nonce#<20 digits>` records which action holds each nonce. Kept for audit.
    name: 'relayer-nonces',
    partitionKey: { name: 'signer', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  },
  {
    // Relayer actions by idempotency key: request, nonce, every signed attempt, terminal state.
    // Audit records: no TTL. `inFlightSigner` is set only while an action is not terminal.
    name: 'relayer-actions',
    partitionKey: { name: 'actionKey', type: 'S' },
    globalIndexes: [{ name: 'in-flight-by-signer', partitionKey: { name: 'inFlightSigner', type: 'S' }, sortKey: { name: 'createdAt', type: 'S' } }],
  },
  {
    // Audit trail of every quote the API gave or refused: id = the order hash (or the request id
    // of a refused request), every PMM answer with the reason it was taken or rejected.
    name: 'quotes',
    partitionKey: { name: 'id', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  {
    // The PMM registry: maker address -> name, RFQ URL, batch URL, enabled (lambdas/quotes/pmm-registry.ts).
    name: 'pmms',
    partitionKey: { name: 'maker', type: 'S' },
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
  {
    // Rebalance runs, one saga per index and scheduled day: pk `index` (the symbol), sk
    // `run#<yyyy-mm-dd>`; step, status, targets, order, signatures, relayer keys, history, failure,
    // and a version every write is conditioned on. Audit records: no TTL. See docs/rebalance.md.
    name: 'rebalance-runs',
    partitionKey: { name: 'index', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  },
] as const satisfies readonly TableSpec[];
export type TableName = (typeof TABLES)[number]['name'];

export const FUNCTIONS = [
  {
    name: 'read-api',
    entry: 'lambdas/handlers/read-api.ts',
    description: 'Public read API: protocol, indexes, reserves, points, portfolio',
    timeoutSeconds: 10,
    memoryMb: 512,
    tables: { ops: 'read', 'rebalance-runs': 'read' },
    keys: [],
    publicKeys: ['operator', 'reserve'],
    buckets: { reports: 'read' },
  },
  {
    name: 'points-api',
    entry: 'lambdas/handlers/points-api.ts',
    description: 'Points, epochs, leaderboards, reward claims with proofs, referral registration',
    timeoutSeconds: 10,
    memoryMb: 512,
    tables: { points: 'write' },
    keys: [],
    buckets: { reports: 'read' },
  },
  {
    name: 'points-snapshot',
    entry: 'lambdas/handlers/points-snapshot.ts',
    description: "Daily points snapshot, plan and reduce steps: pins the day's block, prices it, splits the holders into shards; then totals the shards and marks the day done",
    timeoutSeconds: 900,
    memoryMb: 1024,
    tables: { points: 'write' },
    keys: [],
    buckets: { 'points-work': 'write', reports: 'read' },
  },
  {
    name: 'points-shard',
    entry: 'lambdas/handlers/points-shard.ts',
    description: "Daily points snapshot, one shard: its holders' positions at the pinned block, their points and referral bonuses, written idempotently",
    timeoutSeconds: 300,
    memoryMb: 512,
    tables: { points: 'write' },
    keys: [],
    buckets: { 'points-work': 'write', reports: 'read' },
  },
  {
    name: 'epoch-close',
    entry: 'lambdas/handlers/epoch-close.ts',
    description: 'Closes finished epochs: allocates the pool, stores the claim tree, publishes its root through the rewards relayer',
    timeoutSeconds: 900,
    // A 1,000,000-account close (allocation, claim tree, document, proofs) peaks near 880 MiB
    // (bench:points, points-fanout): 2 GB keeps it under half.
    memoryMb: 2048,
    tables: { points: 'write', 'relayer-actions': 'write', 'relayer-nonces': 'write' },
    keys: ['rewards'],
    buckets: { reports: 'write' },
    reservedConcurrency: 1,
  },
  {
    name: 'quote-api',
    entry: 'lambdas/handlers/quote-api.ts',
    description: 'WLP quote API: RFQ to the PMMs, firm signed quote orders, indexes with NAV, OpenAPI document',
    timeoutSeconds: 10,
    memoryMb: 1024,
    tables: { quotes: 'write', 'wlp-usage': 'write', pmms: 'read' },
    keys: [],
    buckets: { reports: 'read' },
  },
  {
    name: 'ussi-api',
    product: 'ussi',
    entry: 'lambdas/handlers/ussi-api.ts',
    description: "USSI hedge-order quotes for WLPs, signed with the ussi-orders key (the USSI contract's order signer)",
    timeoutSeconds: 10,
    memoryMb: 512,
    // wlp-usage: the same per-key rate and quota counters as quote-api.
    tables: { 'wlp-usage': 'write' },
    // Signs EIP-712 hedge orders only, with a key that holds no on-chain role (security review item 8).
    keys: ['ussi-orders'],
    buckets: { reports: 'read' },
  },
  {
    name: 'ussi-nav',
    product: 'ussi',
    entry: 'lambdas/handlers/ussi-nav.ts',
    description: 'Publishes the USSI NAV through the operator relayer, within the contract bounds',
    timeoutSeconds: 120,
    memoryMb: 512,
    tables: { 'relayer-actions': 'write', 'relayer-nonces': 'write' },
    keys: ['operator'],
    buckets: {},
    reservedConcurrency: 1,
  },
  {
    name: 'ussi-confirm',
    product: 'ussi',
    entry: 'lambdas/handlers/ussi-confirm.ts',
    description: 'Confirms pending USSI mints, and redeems (from the float, or marked payout-pending), through the operator relayer',
    timeoutSeconds: 120,
    memoryMb: 512,
    // ops: the confirmation cursor (lowest request id that may still need the operator).
    tables: { ops: 'write', 'relayer-actions': 'write', 'relayer-nonces': 'write' },
    keys: ['operator'],
    buckets: {},
    reservedConcurrency: 1,
  },
  {
    name: 'ussi-payout',
    product: 'ussi',
    entry: 'lambdas/handlers/ussi-payout.ts',
    description: 'Has the hedge book pay payout-pending USSI redeems and records each payout transaction on chain',
    timeoutSeconds: 120,
    memoryMb: 512,
    // ops: the payout cursor (lowest request id that may still need a payout).
    tables: { ops: 'write', 'relayer-actions': 'write', 'relayer-nonces': 'write' },
    keys: ['operator'],
    buckets: {},
    reservedConcurrency: 1,
  },
  {
    name: 'wlp-authorizer',
    entry: 'lambdas/handlers/wlp-authorizer.ts',
    description: 'HTTP API Lambda authorizer (simple responses): WLP API key -> WLP identity and limits',
    timeoutSeconds: 5,
    memoryMb: 256,
    tables: { 'wlp-keys': 'read' },
    keys: [],
    buckets: {},
  },
  {
    name: 'heartbeat',
    entry: 'lambdas/handlers/heartbeat.ts',
    description: 'Records the chain head it sees, so operators and /health know the schedules run',
    timeoutSeconds: 30,
    memoryMb: 256,
    tables: { ops: 'write' },
    keys: [],
    buckets: {},
    reservedConcurrency: 1,
  },
  {
    name: 'relayer-monitor',
    entry: 'lambdas/handlers/relayer-monitor.ts',
    description: 'Confirms, replaces stuck transactions, fills nonce gaps and reconciles nonces for every role signer',
    timeoutSeconds: 120,
    memoryMb: 512,
    tables: { 'relayer-actions': 'write', 'relayer-nonces': 'write' },
    keys: ['operator', 'reserve', 'rewards'],
    buckets: {},
    reservedConcurrency: 1,
  },
  {
    name: 'reserve-publisher',
    entry: 'lambdas/handlers/reserve-publisher.ts',
    description: 'Daily proof of reserve: signs each index report, stores it in S3, posts its hash and liabilities root; trips the mint breaker on a deficit',
    timeoutSeconds: 900,
    memoryMb: 2048,
    // ops: pinned block per day, report index, breaker state; relayer tables: the reserve and operator relayers.
    tables: { ops: 'write', 'relayer-actions': 'write', 'relayer-nonces': 'write' },
    // reserve: signs reports and publishes to the registry; operator: pauses minting on a deficit.
    keys: ['reserve', 'operator'],
    buckets: { reports: 'write' },
    reservedConcurrency: 1,
  },
  {
    name: 'rebalance-run',
    entry: 'lambdas/handlers/rebalance-run.ts',
    description: 'Scheduled rebalance and fee-sale sagas per index: targets, window, PMM quote, price checks, settlement, basket check, close; fee sale, split and payout to stakers; resumable',
    timeoutSeconds: 900,
    memoryMb: 1024,
    tables: { 'rebalance-runs': 'write', 'relayer-actions': 'write', 'relayer-nonces': 'write', pmms: 'read' },
    // operator: opens and closes windows, settles, sells fees and (as every index's fee vault) pays stakers; price: signs the reference prices (PriceAttestation),
    // a key apart so a leaked operator key cannot vouch for its own prices.
    keys: ['operator', 'price'],
    buckets: { reports: 'read' },
    // One saga step at a time: the version check on every write is the second guard.
    reservedConcurrency: 1,
  },
  {
    name: 'custody-watch',
    entry: 'lambdas/handlers/custody-watch.ts',
    description: "Custodian service: settles PMM deliveries into custodian wallets with custodian-signed legs; daily, signs each chain's balance statement",
    timeoutSeconds: 300,
    memoryMb: 512,
    // ops: the watch cursors (per chain, for accepted redeems and accepted rebalances) and the release journal; relayer
    // tables: the operator relayer pays the gas of attestMint, attestRedeem and the AttestedRebalancer's attest.
    tables: { ops: 'write', 'relayer-actions': 'write', 'relayer-nonces': 'write' },
    // custodian: signs legs and statements (no transaction); operator: sends attestMint, attestRedeem and attest, which anyone may call.
    keys: ['custodian', 'operator'],
    buckets: { reports: 'write' },
    reservedConcurrency: 1,
  },
] as const satisfies readonly FunctionSpec[];
export type FunctionName = (typeof FUNCTIONS)[number]['name'];

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/v1/protocol', function: 'read-api', auth: 'none' },
  { method: 'GET', path: '/v1/points/{address}', function: 'points-api', auth: 'none' },
  { method: 'GET', path: '/v1/epochs', function: 'points-api', auth: 'none' },
  { method: 'GET', path: '/v1/epochs/{id}/leaderboard', function: 'points-api', auth: 'none' },
  { method: 'GET', path: '/v1/rewards/{address}', function: 'points-api', auth: 'none' },
  { method: 'POST', path: '/v1/referrals', function: 'points-api', auth: 'none' },
  { method: 'GET', path: '/v1/portfolio/{address}', function: 'points-api', auth: 'none' },
  { method: 'GET', path: '/v1/staking/apy', function: 'points-api', auth: 'none' },
  { method: 'GET', path: '/v1/indexes/{symbol}/history', function: 'points-api', auth: 'none' },
  { method: 'GET', path: '/v1/reserves/latest', function: 'read-api', auth: 'none' },
  { method: 'GET', path: '/v1/reserves/{date}', function: 'read-api', auth: 'none' },
  { method: 'GET', path: '/v1/reserves/{date}/proof/{holder}', function: 'read-api', auth: 'none' },
  { method: 'POST', path: '/v1/quotes', function: 'quote-api', auth: 'wlp' },
  { method: 'GET', path: '/v1/quotes/{id}', function: 'quote-api', auth: 'wlp' },
  { method: 'GET', path: '/v1/indexes', function: 'quote-api', auth: 'none' },
  { method: 'GET', path: '/v1/indexes/{symbol}', function: 'quote-api', auth: 'none' },
  { method: 'GET', path: '/v1/openapi.json', function: 'quote-api', auth: 'none' },
  { method: 'POST', path: '/v1/ussi/quotes', function: 'ussi-api', auth: 'wlp' },
  { method: 'GET', path: '/v1/rebalances/{index}', function: 'read-api', auth: 'none' },
  { method: 'GET', path: '/v1/rebalances/{index}/{runId}', function: 'read-api', auth: 'none' },
];

/**
 * Lambda authorizers of the HTTP API by route auth kind. Every route with `auth: 'wlp'` goes
 * through the `wlp` authorizer (an HTTP API Lambda authorizer with simple responses, identity
 * source the WLP_API_KEY_HEADER header).
 */
export const API_AUTHORIZERS: Readonly<Partial<Record<'wlp', FunctionName>>> = { wlp: 'wlp-authorizer' };

/**
 * How long API Gateway reuses an authorizer's answer (allow or deny) for the same identity source:
 * a WLP's requests do not each pay for an authorizer call, and a disabled key stops working
 * within this time.
 */
export const AUTHORIZER_CACHE_TTL_SECONDS = 300;

/** Header a WLP presents its API key in; the authorizer's identity source. */
export const WLP_API_KEY_HEADER = 'x-api-key';

/** CloudWatch namespace of the protocol's own metrics (Powertools POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'SSI';

/**
 * Custom metrics the monitoring stack alarms on. CloudWatch matches a metric by its exact set of
 * dimensions, so emitters must publish these with exactly the dimensions listed here (Powertools
 * adds a `service` dimension by default: clear it for these, e.g. a single metric with
 * `clearDefaultDimensions()`), or the alarms never see a data point.
 */
export const ALARM_METRICS = {
  /** Liabilities minus custody balances, per index, in USD; above zero means under-reserved. */
  reserveDeficit: { name: 'ReserveDeficit', dimensions: ['Index'] },
  /** Operator transactions sent but not mined within the relayer's patience. */
  relayerStuckTransactions: { name: 'RelayerStuckTransactions', dimensions: [] },
  /** Days of an ended epoch without a completed points snapshot: the epoch close waits for them. */
  epochSnapshotsMissing: { name: 'EpochSnapshotsMissing', dimensions: [] },
} as const;

export const SCHEDULES: readonly ScheduleSpec[] = [
  {
    name: 'heartbeat',
    function: 'heartbeat',
    expression: 'rate(5 minutes)',
    localExpression: 'rate(1 minute)',
    description: 'Chain head check',
  },
  {
    name: 'relayer-monitor',
    function: 'relayer-monitor',
    expression: 'rate(1 minute)',
    localExpression: 'rate(1 minute)',
    description: 'Relayer upkeep: confirmations, fee-bump replacements, nonce gap fills, reconciliation',
  },
  {
    name: 'points-snapshot',
    stateMachine: 'points-snapshot',
    expression: 'cron(10 0 * * ? *)',
    localExpression: 'rate(10 minutes)',
    description: 'Points of the day that just ended (detail.day picks another day)',
  },
  {
    name: 'epoch-close',
    function: 'epoch-close',
    expression: 'cron(40 0 * * ? *)',
    localExpression: 'rate(30 minutes)',
    description: 'Closes and publishes every epoch that is over (detail.epoch closes one on demand)',
  },
  {
    name: 'reserve-publisher',
    function: 'reserve-publisher',
    expression: 'cron(5 0 * * ? *)',
    localExpression: 'rate(10 minutes)',
    description: 'Daily proof-of-reserve reports of every index (00:05 UTC)',
  },
  {
    name: 'ussi-nav',
    function: 'ussi-nav',
    // Above the contract's minNavInterval (10 min) and far inside its maxNavAge (1 day).
    expression: 'rate(15 minutes)',
    localExpression: 'rate(15 minutes)',
    description: 'USSI NAV update from the hedge book (the perpetual-futures simulator on local chains)',
  },
  {
    name: 'ussi-payout',
    function: 'ussi-payout',
    expression: 'rate(1 minute)',
    localExpression: 'rate(1 minute)',
    description: 'Tracks off-chain payouts of USSI redeems and records their transaction ids',
  },
  {
    name: 'ussi-confirm',
    function: 'ussi-confirm',
    expression: 'rate(1 minute)',
    localExpression: 'rate(1 minute)',
    description: 'Confirms pending USSI requests before their expiry',
  },
  ...(['MAG7.ssi', 'DEFI.ssi', 'MEME.ssi'] as const).map(
    (index): ScheduleSpec => ({
      name: `rebalance-${index.split('.')[0].toLowerCase()}`,
      function: 'rebalance-run',
      expression: 'cron(0 12 1 * ? *)',
      localExpression: 'rate(1 day)',
      detail: { index },
      description: `Monthly rebalance of ${index} (12:00 UTC on the 1st); resumes its unfinished runs first`,
    }),
  ),
  // Daily, apart from the monthly rebalance: staking APY is derived daily from what was paid (docs/rebalance.md, Fee sales).
  ...(['MAG7.ssi', 'DEFI.ssi', 'MEME.ssi'] as const).map(
    (index): ScheduleSpec => ({
      name: `fee-sale-${index.split('.')[0].toLowerCase()}`,
      function: 'rebalance-run',
      expression: 'cron(30 0 * * ? *)',
      localExpression: 'rate(1 day)',
      detail: { index, task: 'fee-sale' },
      description: `Daily fee sale of ${index} (00:30 UTC): accrue, PMM bid, sellFee within attested prices, stakers' share to its sToken; resumes its unfinished sales first`,
    }),
  ),
  {
    name: 'custody-watch',
    function: 'custody-watch',
    expression: 'rate(1 minute)',
    localExpression: 'rate(1 minute)',
    description: 'Custodian service: settles PMM deliveries seen in the custodian wallets',
  },
  {
    name: 'custody-statements',
    function: 'custody-watch',
    // Before the reserve publisher (00:05), which reads them.
    expression: 'cron(0 0 * * ? *)',
    localExpression: 'rate(10 minutes)',
    detail: { statements: true },
    description: "Custodian's signed daily balance statement per chain and wallet",
  },
  {
    name: 'rebalance-resume',
    function: 'rebalance-run',
    expression: 'rate(15 minutes)',
    localExpression: 'rate(15 minutes)',
    detail: { resume: true },
    description: 'Finishes rebalance runs and fee sales a crash or timeout left unfinished, so no window stays open',
  },
];

/**
 * A step of a declared state machine. A plain step invokes its function with `{ ...payload,
 * input: <the state>, execution: <execution id> }` and its result becomes the state; a `map` step
 * invokes the function once per element of the state's `items` array with `{ ...payload, item:
 * <element>, execution }`, at most `maxConcurrency` at once, and passes the state on unchanged. topology/state-machine.ts turns
 * this into Amazon States Language for both the CDK app and the local runner.
 */
export interface StateMachineStep {
  readonly name: string;
  readonly function: FunctionName;
  readonly payload: Readonly<Record<string, string | number | boolean>>;
  readonly map?: { readonly items: string; readonly maxConcurrency: number };
}

export interface StateMachineSpec {
  readonly name: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly steps: readonly StateMachineStep[];
  /** Runs when any step fails for good (its `input` carries the failure), before the execution fails. */
  readonly onFailure?: Omit<StateMachineStep, 'map'>;
}

/** Holders per points shard: sized so a shard stays well inside points-shard's memory and timeout (bench:points). */
export const POINTS_SHARD_SIZE = 10_000;

export const STATE_MACHINES = [
  {
    name: 'points-snapshot',
    description: "A day's points, fanned out: plan the shards, each shard's own points, each shard's totals with referral bonuses, then mark the day done",
    timeoutSeconds: 3600,
    steps: [
      { name: 'Plan', function: 'points-snapshot', payload: { phase: 'plan' } },
      { name: 'OwnPoints', function: 'points-shard', payload: { phase: 'own' }, map: { items: 'shards', maxConcurrency: 16 } },
      { name: 'Totals', function: 'points-shard', payload: { phase: 'total' }, map: { items: 'shards', maxConcurrency: 16 } },
      { name: 'Reduce', function: 'points-snapshot', payload: { phase: 'reduce' } },
    ],
    onFailure: { name: 'ReleaseLease', function: 'points-snapshot', payload: { phase: 'release' } },
  },
] as const satisfies readonly StateMachineSpec[];
export type StateMachineName = (typeof STATE_MACHINES)[number]['name'];

/** Environment variable a function reads a table name from, e.g. TABLE_OPS. */
export const tableEnv = (table: TableName): string => `TABLE_${table.toUpperCase().replace(/-/g, '_')}`;
/** Environment variable a function reads a KMS key id from, e.g. KMS_KEY_OPERATOR. */
export const keyEnv = (role: KeyRole): string => `KMS_KEY_${role.toUpperCase().replace(/-/g, '_')}`;
/** Environment variable a function reads a bucket name from, e.g. BUCKET_REPORTS. */
export const bucketEnv = (bucket: BucketName): string => `BUCKET_${bucket.toUpperCase().replace(/-/g, '_')}`;

/** What a schedule starts; a schedule names exactly one function or one state machine. */
export type ScheduleTarget = { readonly kind: 'function'; readonly name: FunctionName } | { readonly kind: 'stateMachine'; readonly name: StateMachineName };

export function scheduleTarget(schedule: ScheduleSpec): ScheduleTarget {
  if (schedule.function && !schedule.stateMachine) return { kind: 'function', name: schedule.function };
  if (schedule.stateMachine && !schedule.function) return { kind: 'stateMachine', name: schedule.stateMachine };
  throw new Error(`schedule ${schedule.name} must name exactly one function or one state machine`);
}

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
  const env: Record<string, string> = { POWERTOOLS_SERVICE_NAME: `ssi-${spec.name}`, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE };
  for (const table of Object.keys(spec.tables) as TableName[]) env[tableEnv(table)] = resources.tables[table];
  for (const role of new Set([...spec.keys, ...(spec.publicKeys ?? [])])) env[keyEnv(role)] = resources.keys[role];
  for (const bucket of Object.keys(spec.buckets) as BucketName[]) env[bucketEnv(bucket)] = resources.buckets[bucket];
  return env;
}
