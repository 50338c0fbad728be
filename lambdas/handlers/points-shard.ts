import { taskHandler } from '../shared/http';
import { runShardTask, shardTask } from '../points/snapshot-tasks';
import { snapshotRuntime } from '../points/snapshot-runtime';

const runtime = snapshotRuntime();

/** One shard of the points-snapshot state machine. */
export const handler = taskHandler(shardTask, async (task) => {
  await runtime.ready();
  return runShardTask(task, runtime);
});
