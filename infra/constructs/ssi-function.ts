import { resolve } from 'node:path';
import { Duration, Token } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REPOSITORY_ROOT } from '../environment';
import { FUNCTION_BUNDLING } from '../bundling';
import { functionVariables, type SettingValues } from '../settings';
import { type Access, type FunctionSpec, type ResolvedResources } from '../topology';
import { checkNameLength, functionPhysicalName, functionRoleName } from './naming';
import { acknowledge, nagResourceName } from './nag';

/** The runtime every function runs on: the newest Node.js this aws-cdk-lib knows (cdk-nag L1). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** Lambda caps a function's environment variables at 4 KB in total. */
const ENVIRONMENT_LIMIT_BYTES = 4096;
/** What an unresolved token (a key ARN from another stack) may take once deployed. */
const TOKEN_ALLOWANCE_BYTES = 100;

/** A table as a function sees it: whether it has secondary indexes decides the grant's index pattern. */
export interface DeclaredTable {
  readonly table: ITable;
  readonly hasIndexes: boolean;
}

/** The declared resources a function may be granted, by topology name. */
export interface FunctionResources {
  readonly tables: Readonly<Record<string, DeclaredTable>>;
  readonly keys: Readonly<Record<string, IKey>>;
  readonly buckets: Readonly<Record<string, IBucket>>;
}

/** How failed asynchronous invocations (scheduled runs) are retried and where they end up. */
export interface AsyncInvocationOptions {
  /** Receives the event of a run that failed every attempt. */
  readonly deadLetterQueue: IQueue;
  /** Retries after a failed run. @default 2 */
  readonly retryAttempts?: number;
  /** How long Lambda keeps trying to run an event (also while throttled). @default 1 hour */
  readonly maxEventAge?: Duration;
}

export interface SsiFunctionProps {
  /** The function's topology entry: code, sizing, and the only resources it may touch. */
  readonly spec: FunctionSpec;
  /** Environment name, part of every physical name (ssi-<environment>-<function>). */
  readonly environmentName: string;
  /** The tables, keys and buckets to grant from, by topology name. */
  readonly resources: FunctionResources;
  /** The environment's values of the declared settings: the function gets exactly those it declares (topology/settings.ts). */
  readonly settings: SettingValues;
  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** Failure handling for functions invoked asynchronously (schedules). @default none */
  readonly asyncInvocation?: AsyncInvocationOptions;
  /** Where `spec.entry` and package-lock.json are found. @default the repository root */
  readonly projectRoot?: string;
}

/**
 * The house Lambda function: esbuild-bundled TypeScript on arm64 with the current Node.js
 * runtime, active tracing, its own log group with retention, a role of its own holding only the
 * grants its topology entry declares (tables read or read/write, kms:Sign and kms:GetPublicKey
 * on the keys it signs with, kms:GetPublicKey alone on the keys it only reads the address of,
 * bucket objects), and an environment carrying exactly those resources' names.
 */
export class SsiFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly spec: FunctionSpec;

  constructor(scope: Construct, id: string, props: SsiFunctionProps) {
    super(scope, id);
    const { spec, environmentName, resources } = props;
    this.spec = spec;
    const projectRoot = props.projectRoot ?? REPOSITORY_ROOT;
    const functionName = functionPhysicalName(environmentName, spec.name);
    checkNameLength('Lambda function', functionName, 64);
    const roleName = functionRoleName(this, environmentName, spec.name);
    checkNameLength('IAM role', roleName, 64);

    const tables = pick('table', spec.name, spec.tables, resources.tables);
    const buckets = pick('bucket', spec.name, spec.buckets, resources.buckets);
    // A key the function signs with is 'write'; one it only reads the address of is 'read'.
    const keyAccess: Record<string, Access> = Object.fromEntries((spec.publicKeys ?? []).map((role) => [role, 'read']));
    for (const role of spec.keys) keyAccess[role] = 'write';
    const keys = pick('key', spec.name, keyAccess, resources.keys);

    this.role = new iam.Role(this, 'Role', {
      roleName,
      description: `Runs ${functionName}: ${spec.description}`.slice(0, 1000),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
    });
    this.logGroup.grantWrite(this.role);

    const declared: ResolvedResources = {
      tables: mapValues(tables, ([{ table }]) => table.tableName),
      keys: mapValues(keys, ([key]) => key.keyArn),
      buckets: mapValues(buckets, ([bucket]) => bucket.bucketName),
    } as unknown as ResolvedResources;
    const environment = functionVariables(spec, props.settings, environmentName, declared);
    checkEnvironmentSize(functionName, environment);

    this.function = new NodejsFunction(this, 'Function', {
      functionName,
      description: spec.description.slice(0, 256),
      entry: resolve(projectRoot, spec.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: resolve(projectRoot, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      reservedConcurrentExecutions: spec.reservedConcurrency,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment,
      deadLetterQueue: props.asyncInvocation?.deadLetterQueue,
      retryAttempts: props.asyncInvocation ? (props.asyncInvocation.retryAttempts ?? 2) : undefined,
      maxEventAge: props.asyncInvocation ? (props.asyncInvocation.maxEventAge ?? Duration.hours(1)) : undefined,
      bundling: {
        format: OutputFormat.CJS,
        target: FUNCTION_BUNDLING.target,
        minify: FUNCTION_BUNDLING.minify,
        sourceMap: FUNCTION_BUNDLING.sourceMap,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        externalModules: [...FUNCTION_BUNDLING.externalModules],
        mainFields: [...FUNCTION_BUNDLING.mainFields],
      },
    });

    for (const [{ table }, access] of Object.values(tables)) {
      if (access === 'write') table.grantReadWriteData(this.role);
      else table.grantReadData(this.role);
    }
    for (const [key, access] of Object.values(keys)) {
      if (access === 'write') key.grant(this.role, 'kms:Sign', 'kms:GetPublicKey');
      else key.grant(this.role, 'kms:GetPublicKey');
    }
    for (const [bucket, access] of Object.values(buckets)) {
      const objects = bucket.arnForObjects('*');
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion', ...(access === 'write' ? ['s3:PutObject', 's3:AbortMultipartUpload'] : [])], resources: [objects] }),
      );
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: [bucket.bucketArn] }));
      acknowledge(
        this,
        `AwsSolutions-IAM5[Resource::${nagResourceName(this, objects)}]`,
        'Object-level S3 actions need an object ARN pattern; the pattern is confined to the one bucket this function declares in the topology.',
      );
    }
    for (const [{ table, hasIndexes }] of Object.values(tables)) {
      if (hasIndexes) {
        acknowledge(
          this,
          `AwsSolutions-IAM5[Resource::${nagResourceName(this, `${table.tableArn}/index/*`)}]`,
          'Queries on a declared table reach its secondary indexes through the table/index/* pattern; no other table is matched.',
        );
      }
    }
    acknowledge(
      this,
      'AwsSolutions-IAM5[Resource::*]',
      'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which X-Ray only grants on all resources.',
    );
  }
}

/** The declared resources of one kind, failing clearly when the topology names one that is not provided. */
function pick<T>(kind: string, fn: string, declared: Readonly<Record<string, Access | undefined>>, available: Readonly<Record<string, T>>): Record<string, [T, Access]> {
  const picked: Record<string, [T, Access]> = {};
  for (const [name, access] of Object.entries(declared)) {
    const resource = available[name];
    if (!resource) throw new Error(`function ${fn} declares ${kind} ${name}, which the topology does not provide`);
    picked[name] = [resource, access ?? 'read'];
  }
  return picked;
}

function mapValues<T, U>(record: Record<string, T>, fn: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

function checkEnvironmentSize(functionName: string, environment: Record<string, string>): void {
  let bytes = 0;
  for (const [name, value] of Object.entries(environment)) {
    bytes += Buffer.byteLength(name) + (Token.isUnresolved(value) ? TOKEN_ALLOWANCE_BYTES : Buffer.byteLength(value));
  }
  if (bytes > ENVIRONMENT_LIMIT_BYTES) {
    throw new Error(`${functionName}'s environment would take about ${bytes} bytes; Lambda allows ${ENVIRONMENT_LIMIT_BYTES}. The deployment record is usually what grew.`);
  }
}
