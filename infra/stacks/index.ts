import { Tags, Validations, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { SsiEnvironment } from '../environment';
import { ApiStack } from './api-stack';
import { DataStack } from './data-stack';
import { DECLARED_TOPOLOGY, enabledTopology, placeFunctions, type Topology } from './declared';
import { MonitoringStack } from './monitoring-stack';
import { SchedulesStack } from './schedules-stack';
import { SigningStack } from './signing-stack';
import { WebStack } from './web-stack';
import { settingValues } from '../settings';

export interface SsiStacks {
  readonly data: DataStack;
  readonly signing: SigningStack;
  readonly api: ApiStack;
  readonly schedules: SchedulesStack;
  readonly monitoring: MonitoringStack;
  /** The web app on CloudFront; only when the environment names its domain (`web` in cdk.json). */
  readonly web?: WebStack;
}


/**
 * The deployment of one environment, split by lifecycle: data (retained state), signing (keys
 * as long-lived as the on-chain roles), API and schedules (code, replaced every deploy) and
 * monitoring. Stacks are named Ssi-<env>-<part>.
 */
export function createSsiStacks(scope: Construct, ssi: SsiEnvironment, declared: Topology = DECLARED_TOPOLOGY): SsiStacks {
  const topology = enabledTopology(declared, ssi.config);
  placeFunctions(topology); // fail on an inconsistent topology before building anything
  const common: StackProps = {
    env: ssi.config.account || ssi.config.region ? { account: ssi.config.account, region: ssi.config.region } : undefined,
    terminationProtection: ssi.config.terminationProtection,
  };
  const stackName = (part: string) => `Ssi-${ssi.name}-${part}`;
  const settings = settingValues(ssi);

  const data = new DataStack(scope, stackName('Data'), { ...common, ssi, topology, description: 'SSI protocol: DynamoDB tables and the reports bucket (retained)' });
  const signing = new SigningStack(scope, stackName('Signing'), { ...common, ssi, topology, description: 'SSI protocol: KMS secp256k1 signing keys per role (retained)' });
  const api = new ApiStack(scope, stackName('Api'), { ...common, ssi, topology, keys: signing.keys, settings, description: 'SSI protocol: HTTP API and its functions' });
  const schedules = new SchedulesStack(scope, stackName('Schedules'), { ...common, ssi, topology, keys: signing.keys, settings, description: 'SSI protocol: scheduled functions and their EventBridge rules' });
  // Functions name the data stack's resources by physical name and read key ARNs through weak
  // stack-output references, so the ordering is explicit.
  for (const functions of [api, schedules]) {
    functions.addStackDependency(data);
    functions.addStackDependency(signing);
  }
  const monitoring = new MonitoringStack(scope, stackName('Monitoring'), {
    ...common,
    ssi,
    functions: [...Object.keys(api.functions), ...Object.keys(schedules.functions)],
    deadLetterQueues: Object.keys(schedules.deadLetterQueues),
    stateMachines: Object.keys(schedules.stateMachines),
    api: api.httpApi.api,
    description: 'SSI protocol: alarms and dashboard',
  });
  monitoring.addStackDependency(schedules);
  monitoring.addStackDependency(api);

  const web = ssi.config.web
    ? new WebStack(scope, stackName('Web'), {
        ...common,
        domain: { names: ssi.config.web.domainNames, certificateArn: ssi.config.web.certificateArn },
        chain: { rpcUrl: ssi.config.web.rpcUrl ?? ssi.config.rpcUrl, chainId: ssi.config.chainId },
        api: { endpoint: api.httpApi.api.apiEndpoint, paths: topology.routes.map((route) => route.path) },
        description: 'SSI protocol: the web app (S3 behind CloudFront, the API under /v1/)',
      })
    : undefined;
  web?.addStackDependency(api);

  for (const stack of [data, signing, api, schedules, monitoring, ...(web ? [web] : [])]) {
    Tags.of(stack).add('project', 'ssi');
    Tags.of(stack).add('environment', ssi.name);
  }
  return { data, signing, api, schedules, monitoring, ...(web ? { web } : {}) };
}

/** Runs the cdk-nag AWS Solutions rules on every synth; an unacknowledged finding fails it. */
export function addNagChecks(app: Construct): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(checks);
  return checks;
}
