/**
 * Rebalance runs in the `rebalance-runs` table: pk `index` (the symbol), sk `run#<yyyy-mm-dd>`.
 * A run is one item holding every step's output; each write is conditioned on the `version` the
 * writer read and bumps it, so two invocations can never both advance the same run (the loser
 * gets a Conflict and stops). Amounts are decimal strings (DynamoDB numbers cannot hold uint256).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Conflict } from '../shared/errors';

/** The saga's steps, in order. A run records the last one it finished. */
export const STEPS = ['targets', 'fee-check', 'open', 'plan', 'quote', 'verify', 'settle', 'confirm', 'close'] as const;
export type Step = (typeof STEPS)[number];
export type RunStatus = 'running' | 'completed' | 'failed';

/** Legs as stored (amounts as decimal strings). */
export interface StoredLegs {
  sellAssets: string[];
  sellAmounts: string[];
  buyAssets: string[];
  buyAmounts: string[];
}

export interface RunRecord {
  index: string;
  sk: string;
  /** `<index>:<yyyy-mm-dd>`: one run per index and scheduled day. */
  runId: string;
  runDate: string;
  indexAddress: string;
  status: RunStatus;
  /** The last step finished ('created' before the first). */
  step: Step | 'created';
  version: number;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** Relayer idempotency keys of the run's three transactions. */
  txKeys: { open: string; settle: string; close: string };
  /** targets: the market snapshot used and the weights (1e18 = 100%). */
  marketDate?: string;
  targets?: Array<{ symbol: string; asset: string; weight: string }>;
  /** Reference prices of every asset involved (USD per whole token, 18 decimals) and where they came from. */
  prices?: Array<{ symbol: string; asset: string; decimals: number; price: string; source: string; observedOn: string }>;
  priceSource?: string;
  /** fee-check: the fee basket's size against its cap, and the fee sale run first when it was near. */
  feeCheck?: { feeAssets: number; tokensetAssets: number; targetAssets: number; maxFeeAssets: number; feeSaleRunId?: string };
  window?: { txHash?: string; blockNumber?: number };
  plan?: StoredLegs & { supply: string; basketAssets: string[]; basketAmounts: string[]; empty: boolean };
  quote?: { pmm: string; maker: string; nonce: string; deadline: string; buyAmounts: string[]; signature: string; refused?: Array<{ pmm: string; reason: string }> };
  verification?: {
    soldValue: string;
    boughtValue: string;
    toleranceBps: number;
    attestation: { assets: string[]; prices: string[]; validUntil: string; nonce: string };
    attestationSignature: string;
    orderHash: string;
  };
  settlement?: { txHash?: string; blockNumber?: number; orderHash?: string; soldValue?: string; boughtValue?: string; assets?: string[]; unitAmounts?: string[]; skipped?: boolean };
  check?: { ok: boolean; toleranceBps: number; maxDeviationBps: number; assets: Array<{ asset: string; symbol?: string; targetBps: number; actualBps: number; deviationBps: number }> };
  close?: { txHash?: string; blockNumber?: number; closedBy?: string };
  /**
   * An index on custodian assets rebalances through the AttestedRebalancer (set at `targets`): `rebalancer`
   * is its address, the verifying contract of the order and prices; `rebalanceId` the rebalance `settle`
   * opened; `status` where it ended; `cancel` the transaction that ended it after its deadline.
   */
  attested?: { rebalancer: string; rebalanceId?: string; status?: 'completed' | 'settled' | 'cancelled'; cancel?: { txHash?: string; blockNumber?: number } };
  /** Why the run failed, at which step; set once, the run then only closes its window. */
  failure?: { step: Step; reason: string };
  /** Every step as it finished, for the API. */
  history: Array<{ step: Step; at: string; note?: string }>;
}

/** What every saga run item has: its key, its id and the version its writes are conditioned on. */
export interface StoredRun {
  index: string;
  sk: string;
  runId: string;
  status: RunStatus;
  version: number;
}

/** Sort-key prefixes of the run kinds sharing the table: rebalance runs and fee-sale runs (lambdas/rebalance/fee-sale.ts). */
export const RUN_PREFIX = 'run#';
export const FEE_SALE_PREFIX = 'fee-sale#';

export const runSortKey = (runDate: string): string => `${RUN_PREFIX}${runDate}`;

/** Runs of one kind (`prefix`): a rebalance run's key is its day, a fee sale's its day and trigger. */
export class RunStore<R extends StoredRun = RunRecord> {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly prefix: string = RUN_PREFIX,
  ) {}

  async get(index: string, key: string): Promise<R | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.table, Key: { index, sk: `${this.prefix}${key}` }, ConsistentRead: true }));
    return Item as R | undefined;
  }

  /** Creates the run unless it exists; either way returns the stored record. */
  async create(run: R): Promise<R> {
    try {
      await this.client.send(new PutCommand({ TableName: this.table, Item: run, ConditionExpression: 'attribute_not_exists(sk)' }));
      return run;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(run.index, run.sk.slice(this.prefix.length));
      if (!existing) throw error;
      return existing;
    }
  }

  /** Writes `next` (version + 1) only if the stored version is still `previous.version`. */
  async save(previous: R, next: R): Promise<R> {
    const item = { ...next, version: previous.version + 1, updatedAt: new Date().toISOString() };
    try {
      await this.client.send(
        new PutCommand({ TableName: this.table, Item: item, ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': previous.version } }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new Conflict(`run ${previous.runId} changed under this invocation (version ${previous.version}): another invocation is advancing it`, 'run_version_conflict');
      }
      throw error;
    }
    return item;
  }

  /** Runs of one index, newest first. */
  async list(index: string, limit = 50): Promise<R[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#i = :i AND begins_with(sk, :p)',
        ExpressionAttributeNames: { '#i': 'index' },
        ExpressionAttributeValues: { ':i': index, ':p': this.prefix },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items as R[];
  }

  /** Runs of one index still running (oldest first): what a crash or timeout left behind. */
  async unfinished(index: string): Promise<R[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#i = :i AND begins_with(sk, :p)',
        FilterExpression: '#s = :running',
        ExpressionAttributeNames: { '#i': 'index', '#s': 'status' },
        ExpressionAttributeValues: { ':i': index, ':p': this.prefix, ':running': 'running' },
        ConsistentRead: true,
      }),
    );
    return Items as R[];
  }
}
