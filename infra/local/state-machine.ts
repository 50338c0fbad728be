import { randomUUID } from 'node:crypto';
import { FUNCTIONS, STATE_MACHINES, type StateMachineName } from '../../topology';
import { LambdaTimeout } from './lambda-workers';
import { stateMachineDefinition, type AslCatch, type AslDefinition, type AslFail, type AslMap, type AslTask } from '../../topology/state-machine';
import { mapConcurrent } from '../../lambdas/shared/concurrency';

/*
 * Runs a declared state machine's Amazon States Language on this machine, the way Step Functions
 * runs it: Task states invoke the function through the same invoker the API adapter and scheduler
 * use, with the declared Retry; Map states run their item processor per element with at most
 * MaxConcurrency at once. Only the constructs topology/state-machine.ts emits are interpreted, and
 * anything else is refused, so a definition the CDK app deploys cannot silently mean something
 * else here.
 */

export type Invoke = (fn: string, payload: unknown) => Promise<unknown>;

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachine: string;
  readonly startedAt: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  stoppedAt?: string;
  error?: string;
  output?: unknown;
}

/** A Fail state reached: the execution fails with its error and cause. */
export class ExecutionFailed extends Error {
  constructor(readonly errorName: string, readonly causeText: string) {
    super(`${errorName}: ${causeText}`);
  }
}

/** A task's failure as Step Functions names it: `States.Timeout` for a timed-out function, else `States.TaskFailed`. */
export class TaskFailed extends Error {
  constructor(readonly errorName: string, readonly state: string, cause: Error) {
    super(`${state}: ${errorName}: ${cause.message}`, { cause });
  }
}

interface Context {
  readonly Execution: { readonly Id: string; readonly Input: unknown };
  readonly Map?: { readonly Item: { readonly Index: number; readonly Value: unknown } };
}

/** `$`, `$.a.b` against the state, `$$.a.b` against the context object. */
function path(expression: string, state: unknown, context: Context): unknown {
  const [root, rest] = expression.startsWith('$$') ? [context as unknown, expression.slice(2)] : expression.startsWith('$') ? [state, expression.slice(1)] : [undefined, ''];
  if (root === undefined && !expression.startsWith('$')) throw new Error(`not a JSONPath: ${expression}`);
  if (rest === '') return root;
  if (!rest.startsWith('.')) throw new Error(`unsupported JSONPath: ${expression}`);
  let value = root;
  for (const key of rest.slice(1).split('.')) {
    if (value === null || typeof value !== 'object' || !(key in value)) throw new Error(`JSONPath ${expression} matches nothing`);
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Parameters / ItemSelector: keys ending in `.$` take the value at their path. */
function select(template: Record<string, unknown>, state: unknown, context: Context): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) out[key.slice(0, -2)] = path(value as string, state, context);
    else out[key] = value;
  }
  return out;
}

function errorName(error: Error): string {
  return error instanceof LambdaTimeout ? 'States.Timeout' : 'States.TaskFailed';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LocalStateMachinesOptions {
  /** Scales Retry intervals (tests run retries without waiting seconds). @default 1 */
  readonly retryIntervalScale?: number;
}

export class LocalStateMachines {
  private readonly executions: ExecutionRecord[] = [];
  private readonly definitions = new Map<string, AslDefinition>();

  constructor(private readonly invoke: Invoke, private readonly options: LocalStateMachinesOptions = {}) {
    const timeouts = new Map<string, number>(FUNCTIONS.map((f) => [f.name, f.timeoutSeconds]));
    for (const spec of STATE_MACHINES) {
      this.definitions.set(spec.name, stateMachineDefinition(spec, (fn) => fn, (fn) => timeouts.get(fn) ?? 900));
    }
  }

  definition(name: StateMachineName): AslDefinition {
    const definition = this.definitions.get(name);
    if (!definition) throw new Error(`no state machine named ${name}`);
    return definition;
  }

  /** Starts an execution and waits for it; resolves with its record (FAILED ones included). */
  async execute(name: StateMachineName, input: unknown): Promise<ExecutionRecord> {
    const definition = this.definition(name);
    const record: ExecutionRecord = {
      executionArn: `arn:aws:states:local:000000000000:execution:ssi-${name}:${randomUUID()}`,
      stateMachine: name,
      startedAt: new Date().toISOString(),
      status: 'RUNNING',
    };
    this.executions.push(record);
    if (this.executions.length > 100) this.executions.shift();
    const context: Context = { Execution: { Id: record.executionArn, Input: input } };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`States.Timeout: execution exceeded ${definition.TimeoutSeconds} s`)), definition.TimeoutSeconds * 1000);
    });
    try {
      record.output = await Promise.race([this.run(definition, input, context), timeout]);
      record.status = 'SUCCEEDED';
    } catch (error) {
      record.status = 'FAILED';
      record.error = (error as Error).message;
    } finally {
      clearTimeout(timer);
      record.stoppedAt = new Date().toISOString();
    }
    return record;
  }

  history(): readonly ExecutionRecord[] {
    return this.executions;
  }

  private async run(machine: { StartAt: string; States: Record<string, AslTask | AslMap | AslFail> }, input: unknown, context: Context): Promise<unknown> {
    let name: string | undefined = machine.StartAt;
    let state = input;
    while (name !== undefined) {
      const current: AslTask | AslMap | AslFail | undefined = machine.States[name];
      if (!current) throw new Error(`state ${name} is not defined`);
      if (current.Type === 'Fail') {
        throw new ExecutionFailed(String(path(current.ErrorPath, state, context)), String(path(current.CausePath, state, context)));
      }
      let caught: AslCatch | undefined;
      try {
        if (current.Type === 'Task') {
          const result = await this.task(name, current, state, context);
          if (current.ResultPath !== null) state = result;
        } else if (current.Type === 'Map') {
          await this.map(current, state, context);
        } else {
          throw new Error(`state ${name}: type ${(current as { Type: string }).Type} is not supported by the local runner`);
        }
      } catch (error) {
        // Catch (States.ALL): the failure goes to the state's input at ResultPath, then on to its Next.
        caught = current.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
        if (!caught || error instanceof ExecutionFailed) throw error;
        const failure = error instanceof TaskFailed ? { Error: error.errorName, Cause: error.message } : { Error: 'States.Runtime', Cause: (error as Error).message };
        state = { ...(state as Record<string, unknown>), [caught.ResultPath.slice(2)]: failure };
        name = caught.Next;
        continue;
      }
      name = current.End ? undefined : current.Next;
    }
    return state;
  }

  private async task(name: string, task: AslTask, state: unknown, context: Context): Promise<unknown> {
    const payload = select(task.Parameters, state, context);
    const scale = this.options.retryIntervalScale ?? 1;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.invoke(task.Resource, payload);
      } catch (error) {
        const failure = new TaskFailed(errorName(error as Error), name, error as Error);
        const rule = task.Retry.find((r) => (r.ErrorEquals as readonly string[]).includes(failure.errorName) || (r.ErrorEquals as readonly string[]).includes('States.ALL'));
        if (!rule || attempt >= rule.MaxAttempts) throw failure;
        await sleep(rule.IntervalSeconds * 1000 * rule.BackoffRate ** attempt * scale);
      }
    }
  }

  private async map(map: AslMap, state: unknown, context: Context): Promise<void> {
    const items = path(map.ItemsPath, state, context);
    if (!Array.isArray(items)) throw new Error(`Map ItemsPath ${map.ItemsPath} is not an array`);
    // As in Step Functions, one failed iteration fails the Map: no further items start, and the
    // iterations already running finish first (a running Lambda invocation is not stopped either).
    await mapConcurrent(items, Math.max(1, map.MaxConcurrency), (item, index) => {
      const itemContext: Context = { ...context, Map: { Item: { Index: index, Value: item } } };
      return this.run(map.ItemProcessor, select(map.ItemSelector, state, itemContext), itemContext);
    });
  }
}
