import { CfnOutput, Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AUTHORIZER_CACHE_TTL_SECONDS, WLP_API_KEY_HEADER, type RouteSpec } from '../topology';
import { acknowledge } from './nag';

/** One JSON line per request: who called what, the answer, and why an authorizer or integration failed. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  wlp: '$context.authorizer.wlp',
};

export interface SsiHttpApiProps {
  /** Name of the HTTP API, e.g. ssi-prod-api. */
  readonly apiName: string;
  /** The routes to serve, each by the function the topology names. */
  readonly routes: readonly RouteSpec[];
  /** Functions by topology name: every routed function and every authorizer. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** Authorizer function names by route auth kind; a `wlp` route requires `wlp`. */
  readonly authorizers: Readonly<Partial<Record<'wlp', string>>>;
  /** Stage throttling applied to every route. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Retention of the access log group. */
  readonly logRetention: logs.RetentionDays;
  /** Header carrying a WLP's API key: the authorizer's identity source. @default WLP_API_KEY_HEADER */
  readonly wlpApiKeyHeader?: string;
}

/**
 * The HTTP API: the declared routes on a `$default` stage with throttling and JSON access logs;
 * `wlp` routes behind a Lambda authorizer (simple responses) keyed on the WLP API key header.
 * Refuses to build a `wlp` route without an authorizer rather than serving it unauthenticated.
 */
export class SsiHttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly routes: readonly apigw.HttpRoute[];

  constructor(scope: Construct, id: string, props: SsiHttpApiProps) {
    super(scope, id);
    const lookup = (name: string, what: string): IFunction => {
      const fn = props.functions[name];
      if (!fn) throw new Error(`${what} names function ${name}, which this API was not given`);
      return fn;
    };

    const wlpRoutes = props.routes.filter((route) => route.auth === 'wlp');
    let wlpAuthorizer: HttpLambdaAuthorizer | undefined;
    if (wlpRoutes.length > 0) {
      const authorizerName = props.authorizers.wlp;
      if (!authorizerName) {
        const keys = wlpRoutes.map((route) => `${route.method} ${route.path}`).join(', ');
        throw new Error(`routes ${keys} require WLP authentication, but no wlp authorizer is declared: set API_AUTHORIZERS.wlp in topology/index.ts to the authorizer function`);
      }
      wlpAuthorizer = new HttpLambdaAuthorizer('WlpAuthorizer', lookup(authorizerName, 'the wlp authorizer'), {
        authorizerName: `${props.apiName}-wlp`,
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        identitySource: [`$request.header.${props.wlpApiKeyHeader ?? WLP_API_KEY_HEADER}`],
        resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_TTL_SECONDS),
      });
    }

    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: props.apiName,
      description: 'SSI protocol API: public reads and WLP quotes',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
    const integration = (name: string): HttpLambdaIntegration => {
      let found = integrations.get(name);
      if (!found) {
        found = new HttpLambdaIntegration(`Integration-${name}`, lookup(name, 'a route'), { payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0 });
        integrations.set(name, found);
      }
      return found;
    };
    const routes: apigw.HttpRoute[] = [];
    for (const route of props.routes) {
      const added = this.api.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: integration(route.function),
        authorizer: route.auth === 'wlp' ? wlpAuthorizer : undefined,
      });
      if (route.auth === 'none') {
        for (const r of added) {
          acknowledge(r, 'AwsSolutions-APIG4', 'A public read route by design (topology auth none): protocol data is public; the stage throttles it.');
        }
      }
      routes.push(...added);
    }
    this.routes = routes;

    new CfnOutput(this, 'Url', { value: this.stage.url, description: 'Base URL of the SSI API' });
  }
}
