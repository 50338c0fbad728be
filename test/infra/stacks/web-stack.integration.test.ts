import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironment } from '../../../infra/environment';
import { createSsiStacks } from '../../../infra/stacks';
import { DECLARED_TOPOLOGY } from '../../../infra/stacks/declared';
import { WebStack } from '../../../infra/stacks/web-stack';
import { TEST_ACCOUNT, flatten, resourcesOf, synthesizeSsi, testApp, writeDeploymentFixture, type SynthesizedSsi } from '../../helpers/cdk';

const WEB = {
  domainNames: ['app.example.org'],
  certificateArn: `arn:aws:acm:us-east-1:${TEST_ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000`,
  rpcUrl: 'https://rpc.example.org/',
};

describe('the web stack in the deployment: private bucket behind CloudFront, the API under /v1/', () => {
  let synth: SynthesizedSsi;
  let template: Template;
  let stack: WebStack;

  beforeAll(() => {
    // The whole app with CloudFormation's template validation, as `cdk synth` runs it (test/helpers/cdk.ts).
    synth = synthesizeSsi({ overrides: { web: WEB }, nag: true, validate: true });
    stack = synth.stacks.web!;
    template = synth.templates.web;
  }, 120_000);

  it('is part of the environment only when cdk.json names its domain', () => {
    expect(stack.stackName).toBe('Ssi-dev-Web');
    const app = testApp({ deploymentFile: writeDeploymentFixture(84532) });
    expect(createSsiStacks(app, loadEnvironment(app.node)).web).toBeUndefined();
  });

  it('refuses a certificate outside us-east-1, where CloudFront cannot use it', () => {
    const app = testApp({ deploymentFile: writeDeploymentFixture(84532), web: { ...WEB, certificateArn: WEB.certificateArn.replace('us-east-1', 'eu-west-1') } });
    expect(() => loadEnvironment(app.node)).toThrow(/web\.certificateArn: an ACM certificate ARN in us-east-1/);
  });

  it('blocks every kind of public access to the site bucket and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    for (const bucket of Object.values(resourcesOf(template, 'AWS::S3::Bucket'))) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    }
    for (const policy of Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy'))) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]));
      // nobody but CloudFront (and the log delivery service) is let in
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Effect: string; Principal: unknown }>) {
        if (statement.Effect === 'Allow') expect(statement.Principal).not.toBe('*');
      }
    }
  });

  it('reads the bucket only through origin access control, granted to this distribution', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' } });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' })]) },
    });
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
  });

  it('serves HTTPS only: the app redirects to HTTPS, the API refuses HTTP, TLS 1.2 at least on the app’s own certificate', () => {
    const [distribution] = Object.values(resourcesOf(template, 'AWS::CloudFront::Distribution'));
    const config = distribution!.Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.Aliases).toEqual(['app.example.org']);
    expect(config.ViewerCertificate).toMatchObject({ AcmCertificateArn: WEB.certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.CacheBehaviors).toHaveLength(1);
    const [api] = config.CacheBehaviors;
    expect(api).toMatchObject({ PathPattern: '/v1/*', ViewerProtocolPolicy: 'https-only', AllowedMethods: expect.arrayContaining(['GET', 'POST', 'OPTIONS']) });
    // every behaviour carries the security headers
    expect(api.ResponseHeadersPolicyId).toEqual(config.DefaultCacheBehavior.ResponseHeadersPolicyId);
    const origin = (config.Origins as Array<{ Id: string; DomainName: unknown; CustomOriginConfig?: Record<string, unknown> }>).find((o) => o.Id === api.TargetOriginId)!;
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    // the API stack's own endpoint, split down to its host name
    expect(JSON.stringify(origin.DomainName)).toContain('"Fn::Split":["/"');
    expect(flatten(origin.DomainName, synth, stack.stackName)).toContain('Ssi-dev-Api');
  });

  it('sends the security headers with a CSP that connects only to the app’s origin (which carries the API) and the RPC', () => {
    const [policy] = Object.values(resourcesOf(template, 'AWS::CloudFront::ResponseHeadersPolicy'));
    const config = policy!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = String(config.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/connect-src 'self' https:\/\/app\.example\.org https:\/\/rpc\.example\.org;/);
    expect(config.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(config.ContentTypeOptions).toMatchObject({ Override: true });
    expect(config.ReferrerPolicy).toMatchObject({ ReferrerPolicy: 'no-referrer' });
    expect(config.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 31536000, IncludeSubdomains: true });
  });

  it('uploads the bundled app and a /config.json naming the app’s origin, the browser RPC and the chain, then invalidates the cache', () => {
    const [deployment] = Object.values(resourcesOf(template, 'Custom::CDKBucketDeployment'));
    expect(deployment!.Properties).toMatchObject({ Prune: true, DistributionPaths: ['/*'] });
    expect(flatten(deployment!.Properties.DestinationBucketName)).toMatch(/^<Site[0-9A-F]+>$/);
    expect(deployment!.Properties.SourceObjectKeys).toHaveLength(2);
    // the staged assets in the cloud assembly: the app's files, and the config
    const outdir = synth.app.outdir;
    const staged = readdirSync(outdir).filter((name) => name.startsWith('asset.')).map((name) => join(outdir, name));
    const app = staged.find((dir) => existsSync(join(dir, 'index.html')));
    expect(app && readdirSync(app).sort()).toEqual(['app.css', 'app.js', 'backtests.json', 'favicon.svg', 'index.html']);
    expect(readFileSync(join(app!, 'index.html'), 'utf8')).toContain('<script src="/app.js" defer></script>');
    const config = staged.find((dir) => existsSync(join(dir, 'config.json')));
    expect(JSON.parse(readFileSync(join(config!, 'config.json'), 'utf8'))).toEqual({ api: 'https://app.example.org', rpc: WEB.rpcUrl, chainId: 84532 });
  });

  it('refuses a route the distribution would not forward to the API', () => {
    const app = testApp({ deploymentFile: writeDeploymentFixture(84532), web: WEB });
    const topology = { ...DECLARED_TOPOLOGY, routes: [...DECLARED_TOPOLOGY.routes, { ...DECLARED_TOPOLOGY.routes[0]!, path: '/v2/protocol' }] };
    expect(() => createSsiStacks(app, loadEnvironment(app.node), topology)).toThrow('routes /v2/protocol would be unreachable from the app');
  });

  // Synthesis in beforeAll already fails on a finding nobody acknowledged (the app's nag checks).
  it('passes cdk-nag with no error annotation left on the stack', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});
