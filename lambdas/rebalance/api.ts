/** Read side of rebalance runs: GET /v1/rebalances/{index} and GET /v1/rebalances/{index}/{runId}. */
import { isIsoDate } from '../domain/market';
import { BadRequest, NotFound } from '../shared/errors';
import type { RunRecord, RunStore } from './store';

/** A run without its bulky fields: what the list shows. */
function summary(run: RunRecord) {
  return {
    runId: run.runId,
    runDate: run.runDate,
    status: run.status,
    step: run.step,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    ...(run.failure ? { failure: run.failure } : {}),
    ...(run.check ? { maxDeviationBps: run.check.maxDeviationBps, onTarget: run.check.ok } : {}),
    ...(run.settlement?.txHash ? { settleTx: run.settlement.txHash } : {}),
  };
}

export async function listRuns(store: RunStore, index: string) {
  const runs = await store.list(index);
  return { index, runs: runs.map(summary) };
}

/** One run with every step's output; `runId` is `<index>:<day>` or just the day. */
export async function getRun(store: RunStore, index: string, runId: string) {
  const day = runId.includes(':') ? runId.slice(runId.lastIndexOf(':') + 1) : runId;
  if (!isIsoDate(day)) throw new BadRequest(`run id ${runId} is not <index>:<yyyy-mm-dd> or a day`, 'invalid_run_id');
  const run = await store.get(index, day);
  if (!run) throw new NotFound(`no rebalance run ${index}:${day}`, 'unknown_run');
  const { sk: _sk, version: _version, ...rest } = run;
  return { ...rest, steps: run.history };
}
