import { taskHandler } from '../shared/http';
import { runSnapshotTask, snapshotTask } from '../points/snapshot-tasks';
import { snapshotRuntime } from '../points/snapshot-runtime';

const runtime = snapshotRuntime();

/** The points-snapshot state machine's plan and reduce steps. */
export const handler = taskHandler(snapshotTask, async (task) => {
  await runtime.ready();
  return runSnapshotTask(task, runtime);
});
