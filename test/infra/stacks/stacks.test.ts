import { Match } from 'aws-cdk-lib/assertions';
import { settingValues, settingsFor } from '../../../infra/settings';
import {
  ALARM_METRICS,
  API_AUTHORIZERS,
  type FunctionName,
  BUCKETS,
  FUNCTIONS,
  KEYS,
  METRICS_NAMESPACE,
  ROUTES,
  SCHEDULES,
  STATE_MACHINES,
  TABLES,
  functionEnvironment,
  keyEnv,
  scheduleTarget,
  tableEnv,
  type TableName,
  type FunctionSpec,
  type ResolvedResources,
  type TableSpec,
} from '../../../topology';
import { scheduledEvent } from '../../../infra/local/scheduler';
import { functionPlaceholder, stateMachineDefinition } from '../../../topology/state-machine';
import { deploymentSettingText } from '../../../topology/deployment';
import {
  TEST_ACCOUNT,
  TEST_REGION,
  asArray,
  flatten,
  functionPermissions,
  keyArnByAlias,
  resourcesOf,
  synthesizeSsi,
  type CfnResource,
  type Statement,
  type SynthesizedSsi,
} from '../../helpers/cdk';

let synth: SynthesizedSsi;

beforeAll(() => {
  synth = synthesizeSsi();
});

const one = (resources: Record<string, CfnResource>, predicate: (r: CfnResource) => boolean, what: string): [string, CfnResource] => {
  const found = Object.entries(resources).filter(([, r]) => predicate(r));
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}`);
  return found[0];
};
const routedOrAuthorizer = (fn: FunctionSpec): boolean =>
  ROUTES.some((r) => r.function === fn.name) || Object.values(API_AUTHORIZERS).includes(fn.name as FunctionName);
const partOf = (fn: FunctionSpec): 'api' | 'schedules' => (routedOrAuthorizer(fn) ? 'api' : 'schedules');
const tableArn = (table: string) => `arn:aws:dynamodb:${TEST_REGION}:${TEST_ACCOUNT}:table/ssi-dev-${table}`;
const bucketArn = (bucket: string) => `arn:aws:s3:::ssi-dev-${bucket}-${TEST_ACCOUNT}-${TEST_REGION}`;
const roleArn = (fn: string) => `arn:aws:iam::${TEST_ACCOUNT}:role/ssi-dev-${fn}-${TEST_REGION}`;
const keyArn = (role: string) => keyArnByAlias(synth, `${KEYS.find((k) => k.role === role)!.alias}-dev`);

/** Whether an IAM action pattern (with * wildcards) covers an action. */
const covers = (pattern: string, action: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

describe('data stack', () => {
  test.each((TABLES as readonly TableSpec[]).map((t) => [t.name, t] as const))('table %s is on-demand, recoverable to a point in time, deletion-protected, encrypted and retained', (name, spec) => {
    const [, table] = one(resourcesOf(synth.templates.data, 'AWS::DynamoDB::Table'), (t) => t.Properties.TableName === `ssi-dev-${name}`, `table ${name}`);

    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
      ...('sortKey' in spec && spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: 'RANGE' }] : []),
    ]);
    expect(table.Properties.TimeToLiveSpecification).toEqual(spec.ttlAttribute ? { AttributeName: spec.ttlAttribute, Enabled: true } : undefined);
  });

  test.each(BUCKETS.map((b) => [b.name, b] as const))('bucket %s is versioned, object-locked (records) or expiring (working files), encrypted, private, logged and retained', (name, spec) => {
    const buckets = resourcesOf(synth.templates.data, 'AWS::S3::Bucket');
    const [logicalId, bucket] = one(buckets, (b) => flatten(b.Properties.BucketName) === `ssi-dev-${name}-${TEST_ACCOUNT}-${TEST_REGION}`, `bucket ${name}`);
    const retention = synth.ssi.config.reportRetention;

    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    if ('expireAfterDays' in spec) {
      expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
      expect(bucket.Properties.LifecycleConfiguration.Rules).toContainEqual(expect.objectContaining({ ExpirationInDays: spec.expireAfterDays, Status: 'Enabled' }));
    } else {
      expect(bucket.Properties.ObjectLockEnabled).toBe(true);
      expect(bucket.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: retention.mode, Days: retention.days } } });
    }
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(/AES256|aws:kms/);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    const logs = bucket.Properties.LoggingConfiguration.DestinationBucketName.Ref as string;
    expect(buckets[logs]).toBeDefined();
    expect(bucket.DeletionPolicy).toBe('Retain');

    const [, policy] = one(resourcesOf(synth.templates.data, 'AWS::S3::BucketPolicy'), (p) => p.Properties.Bucket.Ref === logicalId, `policy of ${name}`);
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  test('the access log bucket takes only S3 log deliveries and refuses plain HTTP', () => {
    const [logicalId] = one(resourcesOf(synth.templates.data, 'AWS::S3::Bucket'), (b) => b.Properties.BucketName === undefined, 'access log bucket');
    const [, policy] = one(resourcesOf(synth.templates.data, 'AWS::S3::BucketPolicy'), (p) => p.Properties.Bucket.Ref === logicalId, 'access log policy');
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];

    expect(statements.filter((s) => s.Effect === 'Allow').map((s) => s.Principal)).toEqual(statements.filter((s) => s.Effect === 'Allow').map(() => ({ Service: 'logging.s3.amazonaws.com' })));
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });
});

describe('signing stack', () => {
  test.each(KEYS.map((k) => [k.role, k] as const))('the %s key is a retained secp256k1 signing key only its declared functions may sign with', (role, spec) => {
    const keys = resourcesOf(synth.templates.signing, 'AWS::KMS::Key');
    const [, alias] = one(resourcesOf(synth.templates.signing, 'AWS::KMS::Alias'), (a) => a.Properties.AliasName === `${spec.alias}-dev`, `alias of ${role}`);
    const key = keys[alias.Properties.TargetKeyId['Fn::GetAtt'][0]];
    const signers = FUNCTIONS.filter((fn) => (fn.keys as readonly string[]).includes(role)).map((fn) => roleArn(fn.name));

    expect(key.Properties.KeySpec).toBe('ECC_SECG_P256K1');
    expect(key.Properties.KeyUsage).toBe('SIGN_VERIFY');
    expect(key.DeletionPolicy).toBe('Retain');
    const statements = key.Properties.KeyPolicy.Statement as Statement[];
    const unconditionalSign = statements.filter((s) => s.Effect === 'Allow' && !s.Condition && asArray(s.Action).some((a) => covers(a, 'kms:Sign')));
    expect(unconditionalSign).toEqual([]);
    const allowSign = statements.filter((s) => s.Effect === 'Allow' && asArray(s.Action).some((a) => covers(a, 'kms:Sign')));
    const allowedPrincipals = allowSign.flatMap((s) => asArray(s.Condition?.ArnEquals?.['aws:PrincipalArn']).map((v) => flatten(v)));
    expect(allowedPrincipals.sort()).toEqual([...signers].sort());
    const deny = statements.find((s) => s.Effect === 'Deny' && asArray(s.Action).includes('kms:Sign'));
    expect(deny?.Principal).toEqual({ AWS: '*' });
    if (signers.length > 0) {
      expect(asArray(deny?.Condition?.ArnNotEquals?.['aws:PrincipalArn']).map((v) => flatten(v)).sort()).toEqual([...signers].sort());
    } else {
      expect(deny?.Condition).toBeUndefined();
    }
  });

  test('the admin key is signed with only by the operator roles cdk.json names (adminSignerRoleArns), never by a function', () => {
    const operators = ['arn:aws:iam::111111111111:role/ssi-operators-admin'];
    const withOperators = synthesizeSsi({ overrides: { adminSignerRoleArns: operators } });
    const [, alias] = one(resourcesOf(withOperators.templates.signing, 'AWS::KMS::Alias'), (a) => a.Properties.AliasName === 'alias/ssi-admin-dev', 'the admin alias');
    const statements = resourcesOf(withOperators.templates.signing, 'AWS::KMS::Key')[alias.Properties.TargetKeyId['Fn::GetAtt'][0]].Properties.KeyPolicy.Statement as Statement[];
    const allowed = statements.filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes('kms:Sign')).flatMap((s) => asArray(s.Condition?.ArnEquals?.['aws:PrincipalArn']));
    expect(allowed).toEqual(operators);
    const deny = statements.find((s) => s.Effect === 'Deny' && asArray(s.Action).includes('kms:Sign'));
    expect(asArray(deny?.Condition?.ArnNotEquals?.['aws:PrincipalArn'])).toEqual(operators);
  });
});

describe('functions', () => {
  test.each(FUNCTIONS.map((f) => [f.name, f as FunctionSpec] as const))('%s runs on arm64 with the current Node.js runtime, tracing and its declared sizing', (name, spec) => {
    const part = partOf(spec);
    const [, fn] = one(resourcesOf(synth.templates[part], 'AWS::Lambda::Function'), (f) => f.Properties.FunctionName === `ssi-dev-${name}`, `function ${name}`);

    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.Properties.Timeout).toBe(spec.timeoutSeconds);
    expect(fn.Properties.MemorySize).toBe(spec.memoryMb);
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(spec.reservedConcurrency);
    const logGroup = resourcesOf(synth.templates[part], 'AWS::Logs::LogGroup')[fn.Properties.LoggingConfig.LogGroup.Ref];
    expect(logGroup.Properties.RetentionInDays).toBe(synth.ssi.config.logRetentionDays);
  });

  test.each(FUNCTIONS.map((f) => [f.name, f as FunctionSpec] as const))('%s gets exactly its declared settings and only its own tables, keys and buckets in its environment', (name, spec) => {
    const [, fn] = one(resourcesOf(synth.templates[partOf(spec)], 'AWS::Lambda::Function'), (f) => f.Properties.FunctionName === `ssi-dev-${name}`, `function ${name}`);
    const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
    const placeholders = { tables: new Proxy({}, { get: () => 't' }), keys: new Proxy({}, { get: () => 'k' }), buckets: new Proxy({}, { get: () => 'b' }) } as unknown as ResolvedResources;
    const expected = { ...settingsFor(name, settingValues(synth.ssi), 'dev'), ...functionEnvironment(spec, placeholders), NODE_OPTIONS: '--enable-source-maps' };

    expect(Object.keys(variables).sort()).toEqual(Object.keys(expected).sort());
    for (const table of Object.keys(spec.tables) as TableName[]) expect(variables[tableEnv(table)]).toBe(`ssi-dev-${table}`);
    for (const role of [...spec.keys, ...(spec.publicKeys ?? [])]) expect(flatten(variables[keyEnv(role)], synth, synth.stacks[partOf(spec)].stackName)).toBe(keyArn(role));
    if ('SSI_DEPLOYMENT' in expected) expect(JSON.parse(deploymentSettingText(variables.SSI_DEPLOYMENT as string))).toEqual(expect.objectContaining({ chainId: 84532, indexes: synth.ssi.deployment.indexes }));
  });

  test.each(FUNCTIONS.map((f) => [f.name, f as FunctionSpec] as const))('%s may sign only with its own keys and touch only its own tables and buckets', (name, spec) => {
    const { roleName, statements } = functionPermissions(synth, partOf(spec), `ssi-dev-${name}`);
    const allowed = statements.filter((s) => s.effect === 'Allow');
    const resourcesFor = (action: string) => [...new Set(allowed.filter((s) => s.actions.some((a) => covers(a, action))).flatMap((s) => s.resources))].sort();
    const tables = Object.entries(spec.tables);
    const keysRead = [...new Set([...spec.keys, ...(spec.publicKeys ?? [])])];

    expect(roleName).toBe(`ssi-dev-${name}-${TEST_REGION}`);
    expect(resourcesFor('kms:Sign')).toEqual(spec.keys.map(keyArn).sort());
    expect(resourcesFor('kms:GetPublicKey')).toEqual(keysRead.map(keyArn).sort());
    // A table with secondary indexes is granted on its indexes too (grant* adds `<table>/index/*`).
    const withIndexes = (table: string) => {
      const declared = (TABLES as readonly TableSpec[]).find((t) => t.name === table);
      return declared?.globalIndexes?.length ? [tableArn(table), `${tableArn(table)}/index/*`] : [tableArn(table)];
    };
    expect(resourcesFor('dynamodb:GetItem')).toEqual(tables.flatMap(([t]) => withIndexes(t)).sort());
    for (const write of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
      expect(resourcesFor(write)).toEqual(tables.filter(([, access]) => access === 'write').flatMap(([t]) => withIndexes(t)).sort());
    }
    const bucketResources = Object.keys(spec.buckets).flatMap((b) => [bucketArn(b), `${bucketArn(b)}/*`]);
    for (const statement of allowed) {
      const services = new Set(statement.actions.map((a) => a.split(':')[0]));
      for (const action of statement.actions) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
      if (services.has('kms')) expect(keysRead.map(keyArn)).toEqual(expect.arrayContaining(statement.resources));
      if (services.has('dynamodb')) expect(tables.flatMap(([t]) => [tableArn(t), `${tableArn(t)}/index/*`])).toEqual(expect.arrayContaining(statement.resources));
      if (services.has('s3')) expect(bucketResources).toEqual(expect.arrayContaining(statement.resources));
      if (statement.resources.includes('*')) expect([...services]).toEqual(['xray']);
    }
  });
});

describe('schedules', () => {
  const rules = () => resourcesOf(synth.templates.schedules, 'AWS::Events::Rule');

  test('the rules are exactly the declared schedules', () => {
    expect(Object.values(rules()).map((r) => r.Properties.Name).sort()).toEqual(SCHEDULES.map((s) => `ssi-dev-${s.name}`).sort());
  });

  test.each(SCHEDULES.map((s) => [s.name, s] as const))('schedule %s fires its declared expression into its function or state machine with retries and a dead-letter queue', (name, schedule) => {
    const [, rule] = one(rules(), (r) => r.Properties.Name === `ssi-dev-${name}`, `rule ${name}`);
    const queues = resourcesOf(synth.templates.schedules, 'AWS::SQS::Queue');
    const target = scheduleTarget(schedule);

    expect(rule.Properties.ScheduleExpression).toBe(schedule.expression);
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toHaveLength(1);
    const [cfnTarget] = rule.Properties.Targets;
    if (target.kind === 'function') {
      const functions = resourcesOf(synth.templates.schedules, 'AWS::Lambda::Function');
      expect(functions[cfnTarget.Arn['Fn::GetAtt'][0]].Properties.FunctionName).toBe(`ssi-dev-${target.name}`);
    } else {
      const machines = resourcesOf(synth.templates.schedules, 'AWS::StepFunctions::StateMachine');
      expect(machines[cfnTarget.Arn.Ref].Properties.StateMachineName).toBe(`ssi-dev-${target.name}`);
      expect(cfnTarget.RoleArn).toBeDefined();
    }
    expect(queues[cfnTarget.DeadLetterConfig.Arn['Fn::GetAtt'][0]].Properties.QueueName).toBe(`ssi-dev-${target.name}-dlq`);
    expect(cfnTarget.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
  });

  test.each(SCHEDULES.map((s) => [s.name, s] as const))('schedule %s delivers the scheduled-event shape the handlers and the local scheduler use, with its detail', (name, schedule) => {
    const [, rule] = one(rules(), (r) => r.Properties.Name === `ssi-dev-${name}`, `rule ${name}`);
    const { InputPathsMap: paths, InputTemplate: template } = rule.Properties.Targets[0].InputTransformer as { InputPathsMap: Record<string, string>; InputTemplate: string };
    const local = scheduledEvent(schedule, new Date('2026-05-01T00:05:00Z'));
    // What EventBridge sends for a scheduled rule, and its substitution of each <placeholder>.
    const fired = { ...local, detail: {} };
    const delivered = JSON.parse(
      template.replace(/<([A-Za-z0-9_-]+)>/g, (_, key: string) => JSON.stringify(paths[key].slice(2).split('.').reduce<any>((v, k) => v[k], fired))),
    );

    expect(delivered).toEqual(local);
    expect(delivered.detail).toEqual(schedule.detail ?? {});
  });

  test.each([...new Set(SCHEDULES.map((s) => s.function).filter((f) => f !== undefined))].map((f) => [f]))('scheduled function %s sends failed runs to its encrypted, TLS-only dead-letter queue', (fnName) => {
    const functions = resourcesOf(synth.templates.schedules, 'AWS::Lambda::Function');
    const [logicalId, fn] = one(functions, (f) => f.Properties.FunctionName === `ssi-dev-${fnName}`, `function ${fnName}`);
    const queues = resourcesOf(synth.templates.schedules, 'AWS::SQS::Queue');
    const queueId = fn.Properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][0] as string;
    const [, invokeConfig] = one(resourcesOf(synth.templates.schedules, 'AWS::Lambda::EventInvokeConfig'), (c) => c.Properties.FunctionName.Ref === logicalId, 'invoke config');

    expect(queues[queueId].Properties.QueueName).toBe(`ssi-dev-${fnName}-dlq`);
    expect(queues[queueId].Properties.SqsManagedSseEnabled).toBe(true);
    expect(invokeConfig.Properties.MaximumRetryAttempts).toBeGreaterThan(0);
    synth.templates.schedules.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('state machines', () => {
  const machineOf = (name: string) => one(resourcesOf(synth.templates.schedules, 'AWS::StepFunctions::StateMachine'), (m) => m.Properties.StateMachineName === `ssi-dev-${name}`, `state machine ${name}`);

  test.each(STATE_MACHINES.map((m) => [m.name, m] as const))('state machine %s runs the declared definition, its tasks bounded by their functions and its maps by the declared concurrency', (name, spec) => {
    const [, machine] = machineOf(name);
    const functions = resourcesOf(synth.templates.schedules, 'AWS::Lambda::Function');
    const timeouts = Object.fromEntries(FUNCTIONS.map((f) => [f.name, f.timeoutSeconds]));

    expect(JSON.parse(machine.Properties.DefinitionString)).toEqual(stateMachineDefinition(spec, (fn) => `\${${functionPlaceholder(fn)}}`, (fn) => timeouts[fn]!));
    for (const step of spec.steps) {
      const arn = machine.Properties.DefinitionSubstitutions[functionPlaceholder(step.function)];
      expect(functions[arn['Fn::GetAtt'][0]].Properties.FunctionName).toBe(`ssi-dev-${step.function}`);
    }
    const maps = Object.values(JSON.parse(machine.Properties.DefinitionString).States).filter((state: any) => state.Type === 'Map') as any[];
    expect(maps.map((m) => m.MaxConcurrency)).toEqual(spec.steps.filter((step) => 'map' in step).map((step: any) => step.map.maxConcurrency));
    expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.Properties.LoggingConfiguration.Level).toBe('ALL');
  });

  test.each(STATE_MACHINES.map((m) => [m.name, m] as const))('state machine %s may invoke only the functions it runs', (name, spec) => {
    const [, machine] = machineOf(name);
    const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0] as string;
    const functions = resourcesOf(synth.templates.schedules, 'AWS::Lambda::Function');
    const policies = Object.values(resourcesOf(synth.templates.schedules, 'AWS::IAM::Policy')).filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    const invokes = policies.flatMap((p: any) => asArray(p.Properties.PolicyDocument.Statement)).filter((st: any) => asArray(st.Action).includes('lambda:InvokeFunction'));
    const invoked = new Set(invokes.flatMap((st: any) => asArray(st.Resource)).map((r: any) => functions[(r['Fn::GetAtt'] ?? r['Fn::Join'][1][0]['Fn::GetAtt'])[0]].Properties.FunctionName));

    expect([...invoked].sort()).toEqual([...new Set(spec.steps.map((step) => `ssi-dev-${step.function}`))].sort());
  });

  test.each(STATE_MACHINES.map((m) => [m.name] as const))('state machine %s alarms on a failed, timed-out or aborted execution', (name) => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      synth.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: Match.anyValue() }],
        AlarmName: `ssi-dev-${name}-${metric.replace('Executions', 'executions-').replace('TimedOut', 'timed-out').toLowerCase()}`,
        Threshold: 1,
      });
    }
  });
});

describe('API stack', () => {
  test.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('route %s reaches its function with the declared authorization', (routeKey, route) => {
    const [, cfnRoute] = one(resourcesOf(synth.templates.api, 'AWS::ApiGatewayV2::Route'), (r) => r.Properties.RouteKey === routeKey, `route ${routeKey}`);
    const integrationId = (cfnRoute.Properties.Target['Fn::Join'][1][1] as { Ref: string }).Ref;
    const integration = resourcesOf(synth.templates.api, 'AWS::ApiGatewayV2::Integration')[integrationId];
    const fn = resourcesOf(synth.templates.api, 'AWS::Lambda::Function')[integration.Properties.IntegrationUri['Fn::GetAtt'][0]];

    expect(fn.Properties.FunctionName).toBe(`ssi-dev-${route.function}`);
    expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
    expect(cfnRoute.Properties.AuthorizationType).toBe(route.auth === 'wlp' ? 'CUSTOM' : 'NONE');
  });

  test('the stage throttles every route and writes JSON access logs with the request id', () => {
    const [, stage] = one(resourcesOf(synth.templates.api, 'AWS::ApiGatewayV2::Stage'), () => true, 'stage');
    const logGroups = resourcesOf(synth.templates.api, 'AWS::Logs::LogGroup');

    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: synth.ssi.config.api.rateLimit, ThrottlingBurstLimit: synth.ssi.config.api.burstLimit });
    expect(logGroups[stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0]].Properties.RetentionInDays).toBe(synth.ssi.config.logRetentionDays);
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toEqual(expect.objectContaining({ requestId: '$context.requestId', status: '$context.status' }));
  });
});

describe('monitoring stack', () => {
  const topicRef = () => ({ Ref: one(resourcesOf(synth.templates.monitoring, 'AWS::SNS::Topic'), () => true, 'topic')[0] });

  test.each(FUNCTIONS.map((f) => [f.name] as const))('%s has error and throttle alarms notifying the alarm topic', (name) => {
    for (const metric of ['Errors', 'Throttles']) {
      synth.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: `ssi-dev-${name}` }],
        Threshold: 1,
        AlarmActions: [topicRef()],
      });
    }
  });

  test.each([...new Set(SCHEDULES.map((s) => scheduleTarget(s).name))].map((f) => [f]))('the dead-letter queue of %s alarms as soon as it holds a message', (fn) => {
    synth.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: `ssi-dev-${fn}-dlq` }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topicRef()],
    });
  });

  test('every index of the deployment record has a reserve deficit alarm', () => {
    const indexes = Object.keys(synth.ssi.deployment.indexes);
    expect(indexes.length).toBeGreaterThan(0);
    for (const index of indexes) {
      synth.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: ALARM_METRICS.reserveDeficit.name,
        Dimensions: [{ Name: 'Index', Value: index }],
        Threshold: synth.ssi.config.reserveDeficitAssetsThreshold,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topicRef()],
      });
    }
  });

  test('the deficit alarm counts assets while its threshold and docs say USD: threshold, description and graph all count assets in deficit', () => {
    const threshold = synth.ssi.config.reserveDeficitAssetsThreshold;
    expect(Number.isInteger(threshold)).toBe(true);
    const alarms = Object.values(synth.templates.monitoring.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: ALARM_METRICS.reserveDeficit.name } }));
    expect(alarms.length).toBe(Object.keys(synth.ssi.deployment.indexes).length);
    for (const alarm of alarms) {
      expect(alarm.Properties.Threshold).toBe(threshold);
      expect(alarm.Properties.AlarmDescription).toMatch(new RegExp(`more than ${threshold} of its assets`));
      expect(alarm.Properties.AlarmDescription).not.toMatch(/USD/);
    }
    const dashboards = JSON.stringify(synth.templates.monitoring.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toContain('Reserve deficit by index (assets in deficit)');
    expect(dashboards).not.toMatch(/Reserve deficit[^"]*USD/);
  });

  test('an epoch close waiting for missing daily snapshots alarms', () => {
    synth.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: ALARM_METRICS.epochSnapshotsMissing.name,
      Dimensions: Match.absent(),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topicRef()],
    });
  });

  test('stuck relayer transactions and API server errors alarm', () => {
    synth.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: ALARM_METRICS.relayerStuckTransactions.name,
      Dimensions: Match.absent(),
      AlarmActions: [topicRef()],
    });
    synth.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: '5xx', AlarmActions: [topicRef()] });
  });

  test('alarms reach the configured address over TLS-only SNS, and a dashboard shows them', () => {
    synth.templates.monitoring.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topicRef() });
    synth.templates.monitoring.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    synth.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ssi-dev' });
  });
});
