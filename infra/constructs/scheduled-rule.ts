import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { parseScheduleExpression } from '../schedule-expression';
import type { ScheduleSpec } from '../topology';

export interface ScheduledRuleProps {
  /** The schedule's topology entry: expression, target function and detail. */
  readonly schedule: ScheduleSpec;
  /** Physical rule name, e.g. ssi-prod-heartbeat. */
  readonly ruleName: string;
  /** What the schedule starts: a function, or an execution of a state machine (the event is its input). */
  readonly target: { readonly function: IFunction } | { readonly stateMachine: IStateMachine };
  /** Receives events EventBridge could not deliver to the function. */
  readonly deadLetterQueue: IQueue;
  /** Delivery retries before the dead-letter queue. @default 2 */
  readonly retryAttempts?: number;
  /** How long EventBridge keeps trying to deliver one event. @default 1 hour */
  readonly maxEventAge?: Duration;
}

/**
 * The event a scheduled rule delivers, shaped like EventBridge's own scheduled event (and like
 * infra/local/scheduler.ts `scheduledEvent`) but carrying the schedule's declared `detail`.
 */
export function scheduledEventInput(schedule: ScheduleSpec): events.RuleTargetInput {
  return events.RuleTargetInput.fromObject({
    version: '0',
    id: events.EventField.eventId,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: events.EventField.account,
    time: events.EventField.time,
    region: events.EventField.region,
    resources: events.EventField.fromPath('$.resources'),
    detail: { ...(schedule.detail ?? {}) },
  });
}

/** An EventBridge rule firing one declared schedule into its function, with retries and a dead-letter queue. */
export class ScheduledRule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledRuleProps) {
    super(scope, id);
    const { schedule } = props;
    try {
      parseScheduleExpression(schedule.expression);
    } catch (error) {
      throw new Error(`schedule ${schedule.name}: ${(error as Error).message}`);
    }
    const delivery = {
      event: scheduledEventInput(schedule),
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
    };
    this.rule = new events.Rule(this, 'Rule', {
      ruleName: props.ruleName,
      description: schedule.description,
      schedule: events.Schedule.expression(schedule.expression),
      targets: [
        'function' in props.target
          ? new targets.LambdaFunction(props.target.function, delivery)
          : new targets.SfnStateMachine(props.target.stateMachine, { input: delivery.event, deadLetterQueue: delivery.deadLetterQueue, retryAttempts: delivery.retryAttempts, maxEventAge: delivery.maxEventAge }),
      ],
    });
  }
}
