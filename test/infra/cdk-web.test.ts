import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { addNagChecks } from '../../infra/stacks';
import { WebStack } from '../../infra/stacks/web-stack';
import { CDK_CONTEXT, TEST_ACCOUNT, TEST_REGION } from './cdk-helpers';

describe('web stack: private bucket behind CloudFront', () => {
  let template: Template;
  let stack: WebStack;

  beforeAll(() => {
    const app = new App({ context: CDK_CONTEXT });
    addNagChecks(app);
    stack = new WebStack(app, 'Ssi-dev-Web', { env: { account: TEST_ACCOUNT, region: TEST_REGION }, config: { api: 'https://api.example.org/v1', rpc: 'https://rpc.example.org', chainId: 1 },
      domain: { names: ['app.example.org'], certificateArn: `arn:aws:acm:us-east-1:${TEST_ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000` },
    });
    template = Template.fromStack(stack);
  });

  it('blocks every kind of public access to the site bucket and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('reads the bucket only through origin access control, granted to this distribution', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' } });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' })]) },
    });
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
  });

  it('serves HTTPS only: viewers redirected, TLS 1.2 minimum', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        Aliases: ['app.example.org'],
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' }),
      }),
    });
  });

  it('sends the security headers with a CSP that connects only to the app, the API and the RPC', () => {
    const policies = template.findResources('AWS::CloudFront::ResponseHeadersPolicy');
    const [policy] = Object.values(policies) as Array<{ Properties: { ResponseHeadersPolicyConfig: { SecurityHeadersConfig: Record<string, Record<string, unknown>> } } }>;
    const config = policy!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = String(config.ContentSecurityPolicy!.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/connect-src 'self' https:\/\/api\.example\.org https:\/\/rpc\.example\.org;/);
    expect(config.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(config.ContentTypeOptions).toMatchObject({ Override: true });
    expect(config.ReferrerPolicy).toMatchObject({ ReferrerPolicy: 'no-referrer' });
    expect(config.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 31536000 });
  });

  // Synthesis in beforeAll already fails on a finding nobody acknowledged (the app's nag checks).
  it('passes cdk-nag with no error annotation left on the stack', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});
