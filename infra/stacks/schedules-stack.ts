import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { SsiEnvironment } from '../environment';
import { deadLetterQueuePhysicalName, scheduleRuleName } from '../constructs/naming';
import { ScheduledRule } from '../constructs/scheduled-rule';
import { SsiFunction } from '../constructs/ssi-function';
import { DECLARED_TOPOLOGY, importData, placeFunctions, type Topology } from './declared';

export interface SchedulesStackProps extends StackProps {
  readonly ssi: SsiEnvironment;
  /** Signing keys by role, from the signing stack. */
  readonly keys: Readonly<Record<string, IKey>>;
  /** Settings every function reads (chain, deployment record, log level). */
  readonly settings: Readonly<Record<string, string>>;
  /** @default the declared topology (topology/index.ts) */
  readonly topology?: Topology;
}

/**
 * The background functions and the EventBridge rules that run them on the declared schedules.
 * Every scheduled function has a dead-letter queue that receives both events EventBridge could
 * not deliver and runs that failed after Lambda's retries.
 */
export class SchedulesStack extends Stack {
  readonly functions: Readonly<Record<string, SsiFunction>>;
  readonly deadLetterQueues: Readonly<Record<string, sqs.Queue>>;
  readonly rules: Readonly<Record<string, ScheduledRule>>;

  constructor(scope: Construct, id: string, props: SchedulesStackProps) {
    super(scope, id, props);
    const topology = props.topology ?? DECLARED_TOPOLOGY;
    const { config, name } = props.ssi;
    const data = importData(this, name, topology);
    const functions: Record<string, SsiFunction> = {};
    const queues: Record<string, sqs.Queue> = {};
    for (const spec of placeFunctions(topology).background) {
      const scheduled = topology.schedules.some((s) => s.function === spec.name);
      if (scheduled) {
        queues[spec.name] = new sqs.Queue(this, `Dlq-${spec.name}`, {
          queueName: deadLetterQueuePhysicalName(name, spec.name),
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: Duration.days(14),
        });
      }
      functions[spec.name] = new SsiFunction(this, `Fn-${spec.name}`, {
        spec,
        environmentName: name,
        resources: { tables: data.tables, buckets: data.buckets, keys: props.keys },
        settings: props.settings,
        logRetention: config.logRetentionDays as RetentionDays,
        asyncInvocation: scheduled ? { deadLetterQueue: queues[spec.name] } : undefined,
      });
    }
    const rules: Record<string, ScheduledRule> = {};
    for (const schedule of topology.schedules) {
      rules[schedule.name] = new ScheduledRule(this, `Schedule-${schedule.name}`, {
        schedule,
        ruleName: scheduleRuleName(name, schedule.name),
        target: functions[schedule.function].function,
        deadLetterQueue: queues[schedule.function],
      });
    }
    this.functions = functions;
    this.deadLetterQueues = queues;
    this.rules = rules;
  }
}
