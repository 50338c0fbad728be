import { randomUUID } from 'node:crypto';
import { SCHEDULES, scheduleTarget, type ScheduleSpec } from '../topology';
import { nextFire, parseScheduleExpression } from '../schedule-expression';
import type { FunctionInvoker } from './lambda-workers';
import type { LocalStateMachines } from './state-machine';
import { LOCAL_REGION } from './credentials';

export interface ScheduleState {
  name: string;
  /** What the schedule starts: `function:<name>` or `stateMachine:<name>`. */
  target: string;
  expression: string;
  nextRunAt?: string;
  lastRun?: { at: string; ok: boolean; durationMs: number; error?: string };
  runs: number;
}

/** The event EventBridge delivers for a scheduled rule, with the schedule's declared detail. */
export function scheduledEvent(schedule: ScheduleSpec, time = new Date()) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/ssi-${schedule.name}`],
    detail: { ...(schedule.detail ?? {}) },
  };
}

/**
 * Fires the declared schedules (their local cadence where one is declared) as EventBridge
 * scheduled events into the functions (through `invoke`: the stack's Lambda-shaped workers), or as the input of a declared state machine's
 * execution. One run per schedule at a time, as a reserved
 * concurrency of one would give; a run that is still going when the next is due is skipped.
 */
export class LocalScheduler {
  private readonly states = new Map<string, ScheduleState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<string>();
  private stopped = false;

  constructor(
    private readonly invoke: FunctionInvoker,
    private readonly stateMachines: LocalStateMachines,
    private readonly log: (line: string) => void,
    private readonly schedules: readonly ScheduleSpec[] = SCHEDULES,
  ) {
    for (const s of schedules) {
      const target = scheduleTarget(s);
      this.states.set(s.name, { name: s.name, target: `${target.kind}:${target.name}`, expression: s.localExpression ?? s.expression, runs: 0 });
    }
  }

  start(): void {
    for (const schedule of this.schedules) this.arm(schedule);
  }

  private arm(schedule: ScheduleSpec): void {
    if (this.stopped) return;
    const state = this.states.get(schedule.name)!;
    const next = nextFire(parseScheduleExpression(state.expression), new Date());
    state.nextRunAt = next.toISOString();
    // setTimeout cannot wait longer than ~24.8 days; re-arm in steps for long schedules.
    const wait = Math.min(next.getTime() - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      if (Date.now() + 50 < next.getTime()) return this.arm(schedule);
      void this.run(schedule.name).finally(() => this.arm(schedule));
    }, wait);
    timer.unref();
    this.timers.set(schedule.name, timer);
  }

  /** Fires one schedule now (also what `POST /_local/schedules/{name}/run` does). */
  async run(name: string): Promise<ScheduleState> {
    const schedule = this.schedules.find((s) => s.name === name);
    const state = this.states.get(name);
    if (!schedule || !state) throw new Error(`no schedule named ${name}`);
    if (this.running.has(name)) {
      this.log(`schedule ${name}: previous run still going, skipped`);
      return state;
    }
    this.running.add(name);
    const started = Date.now();
    try {
      const target = scheduleTarget(schedule);
      if (target.kind === 'function') {
        await this.invoke(target.name, scheduledEvent(schedule));
      } else {
        const execution = await this.stateMachines.execute(target.name, scheduledEvent(schedule));
        if (execution.status !== 'SUCCEEDED') throw new Error(`state machine ${target.name} ${execution.status}: ${execution.error}`);
      }
      state.lastRun = { at: new Date(started).toISOString(), ok: true, durationMs: Date.now() - started };
    } catch (error) {
      state.lastRun = { at: new Date(started).toISOString(), ok: false, durationMs: Date.now() - started, error: (error as Error).message };
      this.log(`schedule ${name}: run failed: ${(error as Error).message}`);
    } finally {
      state.runs += 1;
      this.running.delete(name);
    }
    return state;
  }

  status(): ScheduleState[] {
    return [...this.states.values()];
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
  }
}
