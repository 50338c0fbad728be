import { ArnFormat, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { SsiEnvironment } from '../environment';
import { ALARM_METRICS, METRICS_NAMESPACE } from '../topology';
import { alarmName, deadLetterQueuePhysicalName, functionPhysicalName, stateMachinePhysicalName } from '../constructs/naming';

export interface MonitoringStackProps extends StackProps {
  readonly ssi: SsiEnvironment;
  /** Topology names of every deployed function. */
  readonly functions: readonly string[];
  /** Topology names of the schedule targets that have a dead-letter queue (scheduled functions and state machines). */
  readonly deadLetterQueues: readonly string[];
  /** Topology names of the declared state machines. */
  readonly stateMachines: readonly string[];
  /** The HTTP API, for its error and latency metrics. */
  readonly api: IHttpApi;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Alarms and the operations dashboard: errors and throttles of every function, dead-letter
 * queue depth, API server errors, each index's reserve deficit and the relayer's stuck
 * transactions, all notifying one SNS topic (e-mailed to the environment's alarm address).
 * Metrics are addressed by the functions' fixed names, so this stack can be redeployed alone.
 */
export class MonitoringStack extends Stack {
  readonly topic: sns.Topic;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { name, config, deployment } = props.ssi;
    this.topic = new sns.Topic(this, 'Alarms', { displayName: `SSI ${name} alarms`, enforceSSL: true });
    if (config.alarmEmail) this.topic.addSubscription(new EmailSubscription(config.alarmEmail));
    const action = new SnsAction(this.topic);
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (id: string, options: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, id, options);
      created.addAlarmAction(action);
      created.addOkAction(action);
      alarms.push(created);
      return created;
    };

    const lambdaMetric = (fn: string, metricName: string, statistic = cloudwatch.Stats.SUM) =>
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, dimensionsMap: { FunctionName: functionPhysicalName(name, fn) }, statistic, period: FIVE_MINUTES });
    for (const fn of props.functions) {
      alarm(`Errors-${fn}`, {
        alarmName: alarmName(name, fn, 'errors'),
        alarmDescription: `${functionPhysicalName(name, fn)} failed at least once in 5 minutes: read its log group.`,
        metric: lambdaMetric(fn, 'Errors'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`Throttles-${fn}`, {
        alarmName: alarmName(name, fn, 'throttles'),
        alarmDescription: `${functionPhysicalName(name, fn)} was throttled: concurrency ran out or a run overlapped its reserved concurrency.`,
        metric: lambdaMetric(fn, 'Throttles'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    const queueMetric = (fn: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: { QueueName: deadLetterQueuePhysicalName(name, fn) },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: FIVE_MINUTES,
      });
    for (const fn of props.deadLetterQueues) {
      alarm(`DeadLetters-${fn}`, {
        alarmName: alarmName(name, fn, 'dead-letters'),
        alarmDescription: `Scheduled runs of ${functionPhysicalName(name, fn)} failed every attempt (or could not be delivered) and wait in ${deadLetterQueuePhysicalName(name, fn)}.`,
        metric: queueMetric(fn),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    for (const machine of props.stateMachines) {
      const stateMachineArn = this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachinePhysicalName(name, machine), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      for (const [metricName, condition, what] of [
        ['ExecutionsFailed', 'executions-failed', 'failed'],
        ['ExecutionsTimedOut', 'executions-timed-out', 'timed out'],
        ['ExecutionsAborted', 'executions-aborted', 'was aborted'],
      ] as const) {
        alarm(`${metricName}-${machine}`, {
          alarmName: alarmName(name, machine, condition),
          alarmDescription: `An execution of ${stateMachinePhysicalName(name, machine)} ${what}: read its execution history; a re-run of the same input is safe.`,
          metric: new cloudwatch.Metric({ namespace: 'AWS/States', metricName, dimensionsMap: { StateMachineArn: stateMachineArn }, statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
    }

    const apiServerErrors = props.api.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    alarm('ApiServerErrors', {
      alarmName: alarmName(name, 'api', '5xx'),
      alarmDescription: 'The API answered 5xx at least 5 times in 5 minutes.',
      metric: apiServerErrors,
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // The proof-of-reserve publisher runs daily: a one-day period keeps its last value in view.
    const deficitMetric = (index: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: ALARM_METRICS.reserveDeficit.name,
        dimensionsMap: { Index: index },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.days(1),
      });
    const indexes = Object.keys(deployment.indexes).sort();
    for (const index of indexes) {
      alarm(`ReserveDeficit-${index}`, {
        alarmName: alarmName(name, index.replace(/[^A-Za-z0-9-]/g, '-'), 'reserve-deficit'),
        alarmDescription: `${index}: in the latest reserve report custody holds less than is owed in more than ${config.reserveDeficitAssetsThreshold} of its assets.`,
        metric: deficitMetric(index),
        threshold: config.reserveDeficitAssetsThreshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    alarm('EpochSnapshotsMissing', {
      alarmName: alarmName(name, 'points', 'epoch-snapshots-missing'),
      alarmDescription: 'An ended epoch has days without a completed points snapshot, so the epoch close waits: re-run points-snapshot for the days it logs (detail.day).',
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: ALARM_METRICS.epochSnapshotsMissing.name, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const stuckMetric = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: ALARM_METRICS.relayerStuckTransactions.name,
      statistic: cloudwatch.Stats.MAXIMUM,
      period: FIVE_MINUTES,
    });
    alarm('RelayerStuckTransactions', {
      alarmName: alarmName(name, 'relayer', 'stuck-transactions'),
      alarmDescription: 'Operator transactions are pending beyond the relayer’s patience: check the nonce queue and gas price.',
      metric: stuckMetric,
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `ssi-${name}`,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 4 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: props.functions.map((fn) => lambdaMetric(fn, 'Errors').with({ label: fn })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function throttles',
        left: props.functions.map((fn) => lambdaMetric(fn, 'Throttles').with({ label: fn })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration p99 (ms)',
        left: props.functions.map((fn) => lambdaMetric(fn, 'Duration', cloudwatch.Stats.p(99)).with({ label: fn })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [
          props.api.metricCount({ period: FIVE_MINUTES, label: 'requests' }),
          props.api.metricClientError({ period: FIVE_MINUTES, label: '4xx' }),
          apiServerErrors.with({ label: '5xx' }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency p99 (ms)',
        left: [props.api.metricLatency({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(99) })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues',
        left: props.deadLetterQueues.map((fn) => queueMetric(fn).with({ label: fn })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Reserve deficit by index (assets in deficit)',
        left: indexes.map((index) => deficitMetric(index).with({ label: index })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({ title: 'Relayer stuck transactions', left: [stuckMetric], width: 12 }),
    );
  }
}
