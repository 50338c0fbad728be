import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StateMachineSpec } from '../topology';
import { functionPlaceholder, stateMachineDefinition } from '../../topology/state-machine';
import { acknowledge, nagResourceName } from './nag';

export interface SsiStateMachineProps {
  readonly spec: StateMachineSpec;
  readonly stateMachineName: string;
  /** The deployed functions by topology name; each one the definition invokes must be here. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** Declared timeouts by function: a task waits no longer than its function may run. */
  readonly timeouts: Readonly<Record<string, number>>;
  readonly logRetention: logs.RetentionDays;
}

/**
 * A declared state machine (topology/index.ts STATE_MACHINES) with the very definition the local
 * runner executes (topology/state-machine.ts), its functions' ARNs substituted in. Its role may
 * invoke only those functions; every execution event is logged and traced.
 */
export class SsiStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: SsiStateMachineProps) {
    super(scope, id);
    const { spec } = props;
    const used = [...new Set(spec.steps.map((step) => step.function))];
    for (const fn of used) if (!props.functions[fn]) throw new Error(`state machine ${spec.name} runs function ${fn}, which this stack was not given`);
    const definition = stateMachineDefinition(spec, (fn) => `\${${functionPlaceholder(fn)}}`, (fn) => props.timeouts[fn] ?? 900);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      comment: spec.description,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: Object.fromEntries(used.map((fn) => [functionPlaceholder(fn), props.functions[fn]!.functionArn])),
      timeout: Duration.seconds(spec.timeoutSeconds),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    for (const fn of used) {
      props.functions[fn]!.grantInvoke(this.stateMachine);
      acknowledge(
        this,
        `AwsSolutions-IAM5[Resource::${nagResourceName(this, props.functions[fn]!.functionArn)}:*]`,
        'lambda:InvokeFunction on the function and its versions (ARN:*): only functions the declared state machine runs are matched.',
      );
    }
    acknowledge(
      this,
      'AwsSolutions-IAM5[Resource::*]',
      'Execution logging (logs:*LogDelivery*) and X-Ray tracing need actions that AWS only grants on all resources.',
    );
  }
}
