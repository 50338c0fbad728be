import type { StateMachineSpec } from './index';

/*
 * Amazon States Language for a declared state machine. The CDK app passes a resource naming
 * `${fn_<name>}` placeholders (filled with function ARNs through definitionSubstitutions) and the
 * local runner passes the bare function name, so AWS and the local stack run one definition.
 */

/** Retried on every task: Lambda's transient faults and a task that failed or timed out. */
export const TASK_RETRY = [
  {
    ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'States.Timeout', 'States.TaskFailed'],
    IntervalSeconds: 2,
    MaxAttempts: 2,
    BackoffRate: 2,
  },
] as const;

export interface AslCatch {
  ErrorEquals: ['States.ALL'];
  ResultPath: '$.failure';
  Next: string;
}

export interface AslTask {
  Type: 'Task';
  Resource: string;
  Parameters: Record<string, unknown>;
  Retry: typeof TASK_RETRY;
  TimeoutSeconds: number;
  ResultPath?: null;
  Catch?: AslCatch[];
  Next?: string;
  End?: true;
}

export interface AslMap {
  Type: 'Map';
  ItemsPath: string;
  ItemSelector: Record<string, unknown>;
  MaxConcurrency: number;
  ResultPath: null;
  ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }; StartAt: string; States: Record<string, AslTask> };
  Catch?: AslCatch[];
  Next?: string;
  End?: true;
}

export interface AslFail {
  Type: 'Fail';
  ErrorPath: string;
  CausePath: string;
}

export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, AslTask | AslMap | AslFail>;
}

/** The placeholder the CDK app substitutes with a function's ARN. */
export const functionPlaceholder = (fn: string): string => `fn_${fn.replace(/-/g, '_')}`;

/** The state a failed execution ends in, after its `onFailure` step. */
export const FAILED_STATE = 'Failed';

/**
 * The definition of `spec`: each step a Task (invoking `resource(fn)` with the step's payload,
 * `input` = the state and `execution` = the execution id) or an inline Map (one Task per element
 * of `items`, results discarded). With `onFailure`, any step's failure (after its retries) goes
 * to that task with the failure at `$.failure`, then to a Fail state carrying the failure.
 * `timeoutOf(fn)` bounds a task at its function's timeout.
 */
export function stateMachineDefinition(spec: StateMachineSpec, resource: (fn: string) => string, timeoutOf: (fn: string) => number): AslDefinition {
  if (spec.steps.length === 0) throw new Error(`state machine ${spec.name} has no steps`);
  const execution = { 'execution.$': '$$.Execution.Id' };
  const task = (fn: string, parameters: Record<string, unknown>, rest: Partial<AslTask>): AslTask => ({
    Type: 'Task',
    Resource: resource(fn),
    Parameters: { ...parameters, ...execution },
    Retry: TASK_RETRY,
    TimeoutSeconds: timeoutOf(fn),
    ...rest,
  });
  const catchAll = spec.onFailure ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: spec.onFailure.name } as AslCatch] } : {};
  const states: AslDefinition['States'] = {};
  spec.steps.forEach((step, i) => {
    const next = spec.steps[i + 1];
    const flow = next ? { Next: next.name } : { End: true as const };
    if (!step.map) {
      states[step.name] = task(step.function, { ...step.payload, 'input.$': '$' }, { ...catchAll, ...flow });
      return;
    }
    const inner = `${step.name}Item`;
    states[step.name] = {
      Type: 'Map',
      ItemsPath: `$.${step.map.items}`,
      ItemSelector: { 'item.$': '$$.Map.Item.Value' },
      MaxConcurrency: step.map.maxConcurrency,
      ResultPath: null,
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: inner, States: { [inner]: task(step.function, { ...step.payload, 'item.$': '$.item' }, { End: true }) } },
      ...catchAll,
      ...flow,
    };
  });
  if (spec.onFailure) {
    states[spec.onFailure.name] = task(spec.onFailure.function, { ...spec.onFailure.payload, 'input.$': '$' }, { ResultPath: null, Next: FAILED_STATE });
    states[FAILED_STATE] = { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' };
  }
  return { Comment: spec.description, StartAt: spec.steps[0]!.name, TimeoutSeconds: spec.timeoutSeconds, States: states };
}
