import { Stack, type StackProps } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { SsiEnvironment } from '../environment';
import type { SettingValues } from '../settings';
import { SsiHttpApi } from '../constructs/http-api';
import { SsiFunction } from '../constructs/ssi-function';
import { DECLARED_TOPOLOGY, importData, placeFunctions, type Topology } from './declared';

export interface ApiStackProps extends StackProps {
  readonly ssi: SsiEnvironment;
  /** Signing keys by role, from the signing stack. */
  readonly keys: Readonly<Record<string, IKey>>;
  /** The environment's values of the declared settings; each function gets those it declares. */
  readonly settings: SettingValues;
  /** @default the declared topology (topology/index.ts) */
  readonly topology?: Topology;
}

/** The functions behind the HTTP API (route handlers and authorizers) and the API itself. */
export class ApiStack extends Stack {
  readonly functions: Readonly<Record<string, SsiFunction>>;
  readonly httpApi: SsiHttpApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const topology = props.topology ?? DECLARED_TOPOLOGY;
    const { config, name } = props.ssi;
    const data = importData(this, name, topology);
    const logRetention = config.logRetentionDays as RetentionDays;
    const functions: Record<string, SsiFunction> = {};
    for (const spec of placeFunctions(topology).api) {
      functions[spec.name] = new SsiFunction(this, `Fn-${spec.name}`, {
        spec,
        environmentName: name,
        resources: { tables: data.tables, buckets: data.buckets, keys: props.keys },
        settings: props.settings,
        logRetention,
      });
    }
    this.functions = functions;
    this.httpApi = new SsiHttpApi(this, 'Http', {
      apiName: `ssi-${name}-api`,
      routes: topology.routes,
      authorizers: topology.authorizers,
      functions: Object.fromEntries(Object.entries(functions).map(([fn, f]) => [fn, f.function])),
      throttle: config.api,
      logRetention,
    });
  }
}
