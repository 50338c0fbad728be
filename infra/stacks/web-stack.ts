import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { acknowledge, nagResourceName } from '../constructs/nag';
import { buildWebApp, securityHeaders, webConfigJson, writeWebApp, type WebConfig } from '../local/web';

/** The API's paths CloudFront forwards to the HTTP API: every declared route lives under /v1/. */
export const API_PATH_PREFIX = '/v1/';

export interface WebStackProps extends StackProps {
  /**
   * The app's domain names and their ACM certificate (in us-east-1, as CloudFront requires).
   * Required: CloudFront's default *.cloudfront.net certificate still accepts TLS 1.0.
   */
  readonly domain: { readonly names: string[]; readonly certificateArn: string };
  /** The JSON-RPC endpoint browsers read the chain from, and the chain id wallets must be on. */
  readonly chain: { readonly rpcUrl: string; readonly chainId: number };
  /** The HTTP API: its endpoint (`https://<id>.execute-api...`) and the paths of its routes. */
  readonly api: { readonly endpoint: string; readonly paths: readonly string[] };
}

/**
 * The web app's hosting: a private bucket read only by CloudFront through origin access control,
 * served over HTTPS only with the same security headers the local stack sends. The distribution
 * also forwards /v1/* to the HTTP API, so the app calls its own origin (no CORS, and the CSP's
 * connect-src names only that origin and the RPC). The bundled app and its /config.json are
 * uploaded on every deploy.
 */
export class WebStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** What /config.json holds: the API origin (the app's first domain name), the RPC and the chain. */
  readonly config: WebConfig;

  constructor(scope: Construct, id: string, props: WebStackProps) {
    super(scope, id, props);
    const outside = props.api.paths.filter((path) => !path.startsWith(API_PATH_PREFIX));
    if (outside.length > 0) throw new Error(`the web distribution forwards only ${API_PATH_PREFIX}* to the API; routes ${outside.join(', ')} would be unreachable from the app`);
    this.config = { api: `https://${props.domain.names[0]}`, rpc: props.chain.rpcUrl, chainId: props.chain.chainId };

    const logs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logging writes through ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(logs, 'AwsSolutions-S1', 'This bucket is the access log destination; logging its own access would loop.');

    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'site/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const headers = securityHeaders(this.config);
    const policy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: headers['content-security-policy']!, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    // https://<id>.execute-api.<region>.amazonaws.com -> its host name
    const apiHost = Fn.select(2, Fn.split('/', props.api.endpoint));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      defaultRootObject: 'index.html',
      domainNames: props.domain.names,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: policy,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      additionalBehaviors: {
        [`${API_PATH_PREFIX}*`]: {
          origin: new origins.HttpOrigin(apiHost, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY, originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2] }),
          // An API client is not redirected: plain HTTP is refused.
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // Answers are live chain reads and quotes: never cached; every header but Host (API Gateway routes by its own) reaches the API.
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: policy,
        },
      },
    });
    acknowledge(this.distribution, 'AwsSolutions-CFR1', 'A public web app for a global protocol: no geographic restriction.');
    acknowledge(this.distribution, 'AwsSolutions-CFR2', 'The API stage behind /v1/* throttles requests; the static files need no WAF rules.');

    // The app bundled at synth (the same build the local stack serves), plus its /config.json.
    const built = mkdtempSync(join(tmpdir(), 'ssi-web-'));
    writeWebApp(buildWebApp(), built);
    new s3deploy.BucketDeployment(this, 'App', {
      destinationBucket: this.bucket,
      sources: [s3deploy.Source.asset(built), s3deploy.Source.data('config.json', webConfigJson(this.config))],
      // Removes files an older build left; the bucket is versioned, so they stay recoverable.
      prune: true,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 512,
    });
    this.acknowledgeUploader();
  }

  /**
   * The upload runs in CDK's own custom-resource function; its findings are acknowledged on it, each
   * wildcard by name as read from the policy CDK wrote, so a new grant in a later CDK is flagged again.
   */
  private acknowledgeUploader(): void {
    const handler = this.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('CDK’s bucket-deployment function was not found in the web stack');
    acknowledge(handler, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'CDK’s bucket-deployment function writes its own logs through the AWS-managed basic execution role.');
    acknowledge(handler, 'AwsSolutions-L1', 'The runtime of CDK’s bucket-deployment function is pinned by aws-cdk-lib, not by this app.');
    const policies = handler.node.findAll().filter((c): c is iam.CfnPolicy => c instanceof iam.CfnPolicy);
    for (const policy of policies) {
      const document = this.resolve(policy.policyDocument) as { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
      for (const statement of document.Statement) {
        for (const action of [statement.Action].flat().filter((a) => a.includes('*'))) {
          acknowledge(handler, `AwsSolutions-IAM5[Action::${action}]`, 'CDK’s bucket-deployment function reads its asset and syncs the site bucket with the S3 action groups CDK grants it.');
        }
        for (const resource of [statement.Resource].flat().map((r) => nagResourceName(this, r as string)).filter((r) => r.includes('*'))) {
          acknowledge(handler, `AwsSolutions-IAM5[Resource::${resource}]`, 'CDK’s bucket-deployment function copies every object of its asset into the site bucket (and invalidates the distribution, which IAM grants only on *).');
        }
      }
    }
  }
}
