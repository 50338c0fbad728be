import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { SsiEnvironment } from '../environment';
import type { SettingValues } from '../settings';
import { deadLetterQueuePhysicalName, scheduleRuleName, stateMachinePhysicalName } from '../constructs/naming';
import { SsiStateMachine } from '../constructs/ssi-state-machine';
import { acknowledge } from '../constructs/nag';
import { scheduleTarget } from '../topology';
import { ScheduledRule } from '../constructs/scheduled-rule';
import { SsiFunction } from '../constructs/ssi-function';
import { DECLARED_TOPOLOGY, importData, placeFunctions, type Topology } from './declared';

export interface SchedulesStackProps extends StackProps {
  readonly ssi: SsiEnvironment;
  /** Signing keys by role, from the signing stack. */
  readonly keys: Readonly<Record<string, IKey>>;
  /** The environment's values of the declared settings; each function gets those it declares. */
  readonly settings: SettingValues;
  /** @default the declared topology (topology/index.ts) */
  readonly topology?: Topology;
}

/**
 * The background functions, the declared state machines over them, and the EventBridge rules
 * that start either on the declared schedules. Every schedule target has a dead-letter queue:
 * it receives events EventBridge could not deliver and, for a function, runs that failed after
 * Lambda's retries (a failed execution raises the state machine's alarms instead).
 */
export class SchedulesStack extends Stack {
  readonly functions: Readonly<Record<string, SsiFunction>>;
  readonly deadLetterQueues: Readonly<Record<string, sqs.Queue>>;
  readonly rules: Readonly<Record<string, ScheduledRule>>;
  readonly stateMachines: Readonly<Record<string, SsiStateMachine>>;

  constructor(scope: Construct, id: string, props: SchedulesStackProps) {
    super(scope, id, props);
    const topology = props.topology ?? DECLARED_TOPOLOGY;
    const { config, name } = props.ssi;
    const data = importData(this, name, topology);
    const functions: Record<string, SsiFunction> = {};
    const queues: Record<string, sqs.Queue> = {};
    // One dead-letter queue per schedule target (a function or a state machine), by its name.
    const queueFor = (target: string): sqs.Queue =>
      (queues[target] ??= new sqs.Queue(this, `Dlq-${target}`, {
        queueName: deadLetterQueuePhysicalName(name, target),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      }));
    const targets = topology.schedules.map((schedule) => ({ schedule, target: scheduleTarget(schedule) }));
    for (const spec of placeFunctions(topology).background) {
      const scheduled = targets.some(({ target }) => target.kind === 'function' && target.name === spec.name);
      functions[spec.name] = new SsiFunction(this, `Fn-${spec.name}`, {
        spec,
        environmentName: name,
        resources: { tables: data.tables, buckets: data.buckets, keys: props.keys },
        settings: props.settings,
        logRetention: config.logRetentionDays as RetentionDays,
        asyncInvocation: scheduled ? { deadLetterQueue: queueFor(spec.name) } : undefined,
      });
    }
    const stateMachines: Record<string, SsiStateMachine> = {};
    for (const spec of topology.stateMachines) {
      stateMachines[spec.name] = new SsiStateMachine(this, `StateMachine-${spec.name}`, {
        spec,
        stateMachineName: stateMachinePhysicalName(name, spec.name),
        functions: Object.fromEntries(Object.entries(functions).map(([fn, f]) => [fn, f.function])),
        timeouts: Object.fromEntries(topology.functions.map((f) => [f.name, f.timeoutSeconds])),
        logRetention: config.logRetentionDays as RetentionDays,
      });
    }
    const rules: Record<string, ScheduledRule> = {};
    for (const { schedule, target } of targets) {
      if (target.kind === 'stateMachine' && !queues[target.name]) {
        acknowledge(
          queueFor(target.name),
          'AwsSolutions-SQS3',
          'This queue is the dead-letter queue of the EventBridge rule that starts the state machine; cdk-nag only recognises Lambda and SQS redrive dead-letter queues.',
        );
      }
      rules[schedule.name] = new ScheduledRule(this, `Schedule-${schedule.name}`, {
        schedule,
        ruleName: scheduleRuleName(name, schedule.name),
        target: target.kind === 'function' ? { function: functions[target.name]!.function } : { stateMachine: stateMachines[target.name]!.stateMachine },
        deadLetterQueue: queueFor(target.name),
      });
    }
    this.functions = functions;
    this.deadLetterQueues = queues;
    this.rules = rules;
    this.stateMachines = stateMachines;
  }
}
