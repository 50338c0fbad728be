import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SsiHttpApi, type SsiHttpApiProps } from '../../../infra/constructs/http-api';
import { AUTHORIZER_CACHE_TTL_SECONDS, type RouteSpec } from '../../../topology';

const route = (method: RouteSpec['method'], path: string, fn: string, auth: RouteSpec['auth']): RouteSpec => ({ method, path, function: fn as RouteSpec['function'], auth });

const ROUTES: RouteSpec[] = [route('POST', '/v1/quotes', 'quotes', 'wlp'), route('GET', '/v1/quotes/{id}', 'quotes', 'wlp'), route('GET', '/v1/indexes', 'reads', 'none')];

/** A stack with stand-in functions and the API over them; returns the template and the functions' logical ids. */
function build(props: Partial<SsiHttpApiProps> = {}): { template: Template; ids: Record<string, string> } {
  // CloudFormation's template validation is left to the whole app's synth (test/helpers/cdk.ts).
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'ApiUnderTest');
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
  const functions = { quotes: fn('Quotes'), reads: fn('Reads'), 'wlp-auth': fn('WlpAuth') };
  new SsiHttpApi(stack, 'Http', {
    apiName: 'ssi-test-api',
    routes: ROUTES,
    functions,
    authorizers: { wlp: 'wlp-auth' },
    throttle: { rateLimit: 7, burstLimit: 11 },
    logRetention: RetentionDays.ONE_MONTH,
    ...props,
  });
  const ids = Object.fromEntries(Object.entries(functions).map(([name, f]) => [name, stack.getLogicalId(f.node.defaultChild as lambda.CfnFunction)]));
  return { template: Template.fromStack(stack), ids };
}

type Resource = { Properties: Record<string, any> };
const routesByKey = (template: Template): Record<string, Resource> =>
  Object.fromEntries(Object.values(template.findResources('AWS::ApiGatewayV2::Route') as Record<string, Resource>).map((r) => [r.Properties.RouteKey, r]));

describe('the HTTP API construct', () => {
  test('sends every WLP route through one Lambda authorizer with simple responses on the API key header', () => {
    const { template, ids } = build();
    const routes = routesByKey(template);
    const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer') as Record<string, Resource>;

    expect(Object.keys(authorizers)).toHaveLength(1);
    const [[authorizerId, authorizer]] = Object.entries(authorizers);
    for (const key of ['POST /v1/quotes', 'GET /v1/quotes/{id}']) {
      expect(routes[key].Properties).toEqual(expect.objectContaining({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } }));
    }
    expect(authorizer.Properties).toEqual(
      expect.objectContaining({ AuthorizerType: 'REQUEST', EnableSimpleResponses: true, AuthorizerPayloadFormatVersion: '2.0', IdentitySource: ['$request.header.x-api-key'], AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_TTL_SECONDS }),
    );
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(ids['wlp-auth']);
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', FunctionName: { 'Fn::GetAtt': [ids['wlp-auth'], 'Arn'] } });
  });

  test('leaves public routes without an authorizer and integrates each route with its own function', () => {
    const { template, ids } = build();
    const routes = routesByKey(template);
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration') as Record<string, Resource>;
    const integrationOf = (key: string) => integrations[routes[key].Properties.Target['Fn::Join'][1][1].Ref].Properties;

    expect(routes['GET /v1/indexes'].Properties.AuthorizationType).toBe('NONE');
    expect(routes['GET /v1/indexes'].Properties.AuthorizerId).toBeUndefined();
    expect(integrationOf('GET /v1/indexes').IntegrationUri).toEqual({ 'Fn::GetAtt': [ids.reads, 'Arn'] });
    expect(integrationOf('POST /v1/quotes').IntegrationUri).toEqual({ 'Fn::GetAtt': [ids.quotes, 'Arn'] });
    expect(integrationOf('POST /v1/quotes').PayloadFormatVersion).toBe('2.0');
  });

  test('throttles the stage and logs every request to a log group with retention', () => {
    const { template } = build();
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage') as Record<string, Resource>);
    const logGroups = template.findResources('AWS::Logs::LogGroup') as Record<string, Resource>;

    expect(stages).toHaveLength(1);
    expect(stages[0].Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 11 });
    expect(logGroups[stages[0].Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0]].Properties.RetentionInDays).toBe(30);
    expect(JSON.parse(stages[0].Properties.AccessLogSettings.Format)).toEqual(expect.objectContaining({ requestId: '$context.requestId', authorizerError: '$context.authorizer.error' }));
  });

  test('uses another API key header when told to', () => {
    const { template } = build({ wlpApiKeyHeader: 'x-wlp-key' });

    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: ['$request.header.x-wlp-key'] });
  });

  test('refuses WLP routes without an authorizer, and names the routes', () => {
    expect(() => build({ authorizers: {} })).toThrow('routes POST /v1/quotes, GET /v1/quotes/{id} require WLP authentication, but no wlp authorizer is declared: set API_AUTHORIZERS.wlp in topology/index.ts');
  });

  test('refuses an authorizer or route function it was not given', () => {
    expect(() => build({ authorizers: { wlp: 'missing-auth' } })).toThrow('the wlp authorizer names function missing-auth, which this API was not given');
    expect(() => build({ routes: [route('GET', '/v1/x', 'missing', 'none')] })).toThrow('a route names function missing, which this API was not given');
  });

  test('builds no authorizer when no route needs one', () => {
    const { template } = build({ routes: [ROUTES[2]], authorizers: {} });

    expect(Object.keys(template.findResources('AWS::ApiGatewayV2::Authorizer'))).toEqual([]);
  });
});
