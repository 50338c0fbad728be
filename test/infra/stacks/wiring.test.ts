import { Match } from 'aws-cdk-lib/assertions';
import { loadEnvironment } from '../../../infra/environment';
import { createSsiStacks } from '../../../infra/stacks';
import type { Topology } from '../../../infra/stacks/declared';
import { KEYS, type KeySpec, type RouteSpec, type ScheduleSpec } from '../../../topology';
import {
  TEST_ACCOUNT,
  TEST_REGION,
  asArray,
  flatten,
  functionPermissions,
  keyArnByAlias,
  resourcesOf,
  synthesizeSsi,
  testApp,
  writeDeploymentFixture,
  type Statement,
  type SynthesizedSsi,
} from '../../helpers/cdk';
import { SYNTHETIC_FUNCTIONS, SYNTHETIC_TOPOLOGY } from '../../fixtures/synthetic-topology';

let synth: SynthesizedSsi;

beforeAll(() => {
  synth = synthesizeSsi({ topology: SYNTHETIC_TOPOLOGY });
});

const keyArn = (role: string) => keyArnByAlias(synth, `${KEYS.find((k) => k.role === role)!.alias}-dev`);
const tableArn = (table: string) => `arn:aws:dynamodb:${TEST_REGION}:${TEST_ACCOUNT}:table/ssi-dev-${table}`;
const objects = `arn:aws:s3:::ssi-dev-reports-${TEST_ACCOUNT}-${TEST_REGION}/*`;
const allowedOn = (statements: Array<{ actions: string[]; resources: string[]; effect: string }>, action: string) =>
  [...new Set(statements.filter((s) => s.effect === 'Allow' && s.actions.includes(action)).flatMap((s) => s.resources))].sort();

/** Builds the app over a topology and returns the error it stops with. */
function synthesisError(topology: Topology): Error {
  const app = testApp({ deploymentFile: writeDeploymentFixture(84532) });
  try {
    createSsiStacks(app, loadEnvironment(app.node), topology);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the app was built');
}

describe('a topology with signers, WLP routes and bucket writers', () => {
  test('each key policy names exactly the roles of the functions that sign with it, not those that only read its address', () => {
    const keys = resourcesOf(synth.templates.signing, 'AWS::KMS::Key');
    // An operator-only key (admin) is signed with by the operators' roles cdk.json names: test/infra/stacks/stacks.test.ts.
    for (const spec of KEYS.filter((k) => !(k as KeySpec).operatorOnly)) {
      const keyId = keyArnByAlias(synth, `${spec.alias}-dev`).replace(/^<[^:]+:(.+)\.Arn>$/, '$1');
      const statements = keys[keyId].Properties.KeyPolicy.Statement as Statement[];
      const signers = SYNTHETIC_FUNCTIONS.filter((fn) => fn.keys.includes(spec.role)).map((fn) => `arn:aws:iam::${TEST_ACCOUNT}:role/ssi-dev-${fn.name}-${TEST_REGION}`);
      const allow = statements.find((s) => s.Sid === 'SignOnlyAsDeclaredFunctions');
      const deny = statements.find((s) => s.Sid === 'NobodyElseSigns');

      expect(signers).toHaveLength(1);
      expect(asArray(allow?.Condition?.ArnEquals?.['aws:PrincipalArn']).map((v) => flatten(v))).toEqual(signers);
      expect(asArray(deny?.Condition?.ArnNotEquals?.['aws:PrincipalArn']).map((v) => flatten(v))).toEqual(signers);
      expect(deny?.Action).toBe('kms:Sign');
    }
  });

  test('the roles the key policies name are the roles the signing functions run as', () => {
    for (const [name, part] of [['reserves', 'schedules'], ['relayer', 'schedules'], ['epochs', 'schedules']] as const) {
      expect(functionPermissions(synth, part, `ssi-dev-${name}`).roleName).toBe(`ssi-dev-${name}-${TEST_REGION}`);
    }
  });

  test('a signer may sign only with its own key, and a reader of an address may not sign at all', () => {
    const reserves = functionPermissions(synth, 'schedules', 'ssi-dev-reserves').statements;
    const relayer = functionPermissions(synth, 'schedules', 'ssi-dev-relayer').statements;
    const quotes = functionPermissions(synth, 'api', 'ssi-dev-quotes').statements;

    expect(allowedOn(reserves, 'kms:Sign')).toEqual([keyArn('reserve')]);
    expect(allowedOn(relayer, 'kms:Sign')).toEqual([keyArn('operator')]);
    expect(allowedOn(quotes, 'kms:Sign')).toEqual([]);
    expect(allowedOn(quotes, 'kms:GetPublicKey')).toEqual([keyArn('operator')]);
  });

  test('bucket writers may put report objects, readers may only get them, and both reach a table’s indexes only for their tables', () => {
    const reserves = functionPermissions(synth, 'schedules', 'ssi-dev-reserves').statements;
    const relayer = functionPermissions(synth, 'schedules', 'ssi-dev-relayer').statements;
    const quotes = functionPermissions(synth, 'api', 'ssi-dev-quotes').statements;

    expect(allowedOn(reserves, 's3:PutObject')).toEqual([objects]);
    expect(allowedOn(relayer, 's3:PutObject')).toEqual([]);
    expect(allowedOn(relayer, 's3:GetObject')).toEqual([objects]);
    expect(allowedOn(reserves, 'dynamodb:PutItem')).toEqual([tableArn('positions'), `${tableArn('positions')}/index/*`].sort());
    expect(allowedOn(quotes, 'dynamodb:Query')).toEqual([tableArn('positions'), `${tableArn('positions')}/index/*`].sort());
    expect(allowedOn(quotes, 'dynamodb:PutItem')).toEqual([]);
  });

  test('no s3:AbortMultipartUpload and no abort-incomplete-upload rule: bucket writers may abort their uploads and the bucket drops stale parts (issue 19 item 15)', () => {
    const reserves = functionPermissions(synth, 'schedules', 'ssi-dev-reserves').statements;
    const relayer = functionPermissions(synth, 'schedules', 'ssi-dev-relayer').statements;
    expect(allowedOn(reserves, 's3:AbortMultipartUpload')).toEqual([objects]);
    expect(allowedOn(relayer, 's3:AbortMultipartUpload')).toEqual([]);
    const reports = Object.values(resourcesOf(synth.templates.data, 'AWS::S3::Bucket')).find((b) => flatten(b.Properties.BucketName) === objects.slice('arn:aws:s3:::'.length, -2))!;
    expect(reports.Properties.LifecycleConfiguration.Rules).toEqual([{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }]);
  });

  test('the WLP route goes through the Lambda authorizer with simple responses keyed on the API key header; the public route does not', () => {
    const routes = resourcesOf(synth.templates.api, 'AWS::ApiGatewayV2::Route');
    const wlp = Object.values(routes).find((r) => r.Properties.RouteKey === 'POST /v1/quotes')!;
    const open = Object.values(routes).find((r) => r.Properties.RouteKey === 'GET /v1/reserves/{symbol}')!;
    const authorizer = resourcesOf(synth.templates.api, 'AWS::ApiGatewayV2::Authorizer')[wlp.Properties.AuthorizerId.Ref];
    const functions = resourcesOf(synth.templates.api, 'AWS::Lambda::Function');
    const [authorizerFnId] = Object.entries(functions).find(([, f]) => f.Properties.FunctionName === 'ssi-dev-wlp-auth')!;

    expect(wlp.Properties.AuthorizationType).toBe('CUSTOM');
    expect(authorizer.Properties).toEqual(
      expect.objectContaining({
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.x-api-key'],
      }),
    );
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(authorizerFnId);
    synth.templates.api.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [authorizerFnId, 'Arn'] },
    });
    expect(open.Properties.AuthorizationType).toBe('NONE');
    expect(open.Properties.AuthorizerId).toBeUndefined();
  });

  test('a schedule’s declared detail reaches its function in the scheduled event', () => {
    const rule = Object.values(resourcesOf(synth.templates.schedules, 'AWS::Events::Rule')).find((r) => r.Properties.Name === 'ssi-dev-reserves-daily')!;
    const template = rule.Properties.Targets[0].InputTransformer.InputTemplate as string;
    const delivered = JSON.parse(template.replace(/<[a-z]+>/g, '"x"'));

    expect(rule.Properties.ScheduleExpression).toBe('cron(0 1 * * ? *)');
    expect(delivered.detail).toEqual({ index: 'MAG7.ssi', dryRun: false });
    expect(delivered['detail-type']).toBe('Scheduled Event');
  });

  test('a background function without a schedule runs without a rule or dead-letter queue but is still alarmed', () => {
    const [relayerId, relayer] = Object.entries(resourcesOf(synth.templates.schedules, 'AWS::Lambda::Function')).find(([, f]) => f.Properties.FunctionName === 'ssi-dev-relayer')!;
    const rules = Object.values(resourcesOf(synth.templates.schedules, 'AWS::Events::Rule'));

    expect(relayer.Properties.DeadLetterConfig).toBeUndefined();
    expect(rules.filter((r) => JSON.stringify(r.Properties.Targets).includes(relayerId))).toEqual([]);
    synth.templates.monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: 'ssi-dev-relayer' }] });
    synth.templates.monitoring.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Dimensions: [{ Name: 'QueueName', Value: Match.stringLikeRegexp('relayer') }] }, 0);
  });
});

describe('a topology the app refuses', () => {
  test('a WLP route without a declared authorizer stops the synth and says where to declare one', () => {
    const error = synthesisError({ ...SYNTHETIC_TOPOLOGY, authorizers: {} });

    expect(error.message).toMatch(/POST \/v1\/quotes require WLP authentication.*API_AUTHORIZERS\.wlp in topology\/index\.ts/);
  });

  test('an invalid schedule expression stops the synth naming the schedule', () => {
    const schedules: ScheduleSpec[] = [{ ...SYNTHETIC_TOPOLOGY.schedules[0], expression: 'rate(0 minutes)' }];

    expect(synthesisError({ ...SYNTHETIC_TOPOLOGY, schedules }).message).toMatch(/schedule reserves-daily: invalid schedule rate\(0 minutes\)/);
  });

  test('a function both behind the API and scheduled is refused', () => {
    const schedules: ScheduleSpec[] = [{ name: 'quotes-refresh', function: 'quotes' as ScheduleSpec['function'], expression: 'rate(1 hour)', description: 'x' }];

    expect(synthesisError({ ...SYNTHETIC_TOPOLOGY, schedules }).message).toMatch(/function quotes is both behind the API and scheduled/);
  });

  test('a route to an undeclared function and a table nobody declared are refused', () => {
    const routes: RouteSpec[] = [{ method: 'GET', path: '/v1/nothing', function: 'nothing' as RouteSpec['function'], auth: 'none' }];
    const functions = [...SYNTHETIC_TOPOLOGY.functions.slice(0, 1), { ...SYNTHETIC_TOPOLOGY.functions[2], tables: { ledger: 'write' } as never }];

    expect(synthesisError({ ...SYNTHETIC_TOPOLOGY, routes }).message).toMatch(/route GET \/v1\/nothing names function nothing, which is not declared/);
    expect(synthesisError({ ...SYNTHETIC_TOPOLOGY, functions, routes: [SYNTHETIC_TOPOLOGY.routes[1]], authorizers: {}, schedules: [] }).message).toMatch(/declares table ledger, which the topology does not provide/);
  });
});
