import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Physical names of the deployment's resources, derived from the environment and the topology
 * entry. Fixed names let stacks refer to one another's resources without CloudFormation exports
 * (a key policy can name a role before the role exists) and give operators predictable names:
 * `aws lambda invoke --function-name ssi-prod-heartbeat`.
 */
const prefix = (environment: string): string => `ssi-${environment}`;

export const tablePhysicalName = (environment: string, table: string): string => `${prefix(environment)}-${table}`;

/** Bucket names are global: the account and region make them unique. */
export const bucketPhysicalName = (scope: IConstruct, environment: string, bucket: string): string => {
  const stack = Stack.of(scope);
  return `${prefix(environment)}-${bucket}-${stack.account}-${stack.region}`;
};

export const functionPhysicalName = (environment: string, fn: string): string => `${prefix(environment)}-${fn}`;

/** IAM role names are global to the account: the region keeps two regional deployments apart. */
export const functionRoleName = (scope: IConstruct, environment: string, fn: string): string =>
  `${prefix(environment)}-${fn}-${Stack.of(scope).region}`;

export const functionRoleArn = (scope: IConstruct, environment: string, fn: string): string =>
  Stack.of(scope).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: functionRoleName(scope, environment, fn) });

export const deadLetterQueuePhysicalName = (environment: string, fn: string): string => `${prefix(environment)}-${fn}-dlq`;

export const scheduleRuleName = (environment: string, schedule: string): string => `${prefix(environment)}-${schedule}`;

export const keyAliasName = (alias: string, environment: string): string => `${alias}-${environment}`;

export const alarmName = (environment: string, subject: string, condition: string): string => `${prefix(environment)}-${subject}-${condition}`;

/** Checks a derived name against its service's limit, so a long topology name fails the synth, not the deploy. */
export function checkNameLength(kind: string, name: string, max: number): void {
  // Unresolved tokens (account, region) stand for at most 14 characters once deployed.
  const length = name.replace(/\$\{Token\[[^\]]+\]\}/g, 'xxxxxxxxxxxxxx').length;
  if (length > max) throw new Error(`${kind} name ${name} would be ${length} characters; the limit is ${max}: shorten the topology name`);
}

/** Physical name of a declared state machine, e.g. ssi-prod-points-snapshot. */
export const stateMachinePhysicalName = (environment: string, machine: string): string => `${prefix(environment)}-${machine}`;
