import type { StateMachineSpec } from './index';

/*
 * Amazon States Language for a declared state machine. The CDK app passes a resource naming
 * `${fn:<name>}` placeholders (filled with function ARNs through definitionSubstitutions) and the
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

export interface AslTask {
  Type: 'Task';
  Resource: string;
  Parameters: Record<string, unknown>;
  Retry: typeof TASK_RETRY;
  TimeoutSeconds: number;
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
  Next?: string;
  End?: true;
}

export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, AslTask | AslMap>;
}

/** The placeholder the CDK app substitutes with a function's ARN. */
export const functionPlaceholder = (fn: string): string => `fn_${fn.replace(/-/g, '_')}`;

/**
 * The definition of `spec`: each step a Task (invoking `resource(fn)` with the step's payload and
 * `input` = the state) or an inline Map (one Task per element of `items`, results discarded).
 * `timeoutOf(fn)` bounds a task at its function's timeout.
 */
export function stateMachineDefinition(spec: StateMachineSpec, resource: (fn: string) => string, timeoutOf: (fn: string) => number): AslDefinition {
  if (spec.steps.length === 0) throw new Error(`state machine ${spec.name} has no steps`);
  const states: Record<string, AslTask | AslMap> = {};
  spec.steps.forEach((step, i) => {
    const next = spec.steps[i + 1];
    const flow = next ? { Next: next.name } : { End: true as const };
    const task = (parameters: Record<string, unknown>, taskFlow: { Next?: string; End?: true }): AslTask => ({
      Type: 'Task',
      Resource: resource(step.function),
      Parameters: parameters,
      Retry: TASK_RETRY,
      TimeoutSeconds: timeoutOf(step.function),
      ...taskFlow,
    });
    if (!step.map) {
      states[step.name] = task({ ...step.payload, 'input.$': '$' }, flow);
      return;
    }
    const inner = `${step.name}Item`;
    states[step.name] = {
      Type: 'Map',
      ItemsPath: `$.${step.map.items}`,
      ItemSelector: { 'item.$': '$$.Map.Item.Value' },
      MaxConcurrency: step.map.maxConcurrency,
      ResultPath: null,
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: inner, States: { [inner]: task({ ...step.payload, 'item.$': '$.item' }, { End: true }) } },
      ...flow,
    };
  });
  return { Comment: spec.description, StartAt: spec.steps[0]!.name, TimeoutSeconds: spec.timeoutSeconds, States: states };
}
