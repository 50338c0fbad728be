import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addNagChecks } from '../../../infra/stacks';
import { synthesizeSsi, temporaryDir, type SynthesizedSsi } from '../../helpers/cdk';
import { SYNTHETIC_TOPOLOGY } from '../../fixtures/synthetic-topology';

/**
 * Findings acknowledged on purpose, by rule. Each acknowledgment carries its reason in the code
 * (infra/constructs); this list makes a new kind of acknowledgment a deliberate change.
 */
const ACKNOWLEDGED_RULES = [
  'AwsSolutions-APIG4', // public read routes (topology auth: none)
  'AwsSolutions-S1', // the access log bucket does not log to itself
  'AwsSolutions-IAM5', // X-Ray's Resource::*, a bucket's objects, a declared table's indexes, a state machine's function versions
  'AwsSolutions-SQS3', // the dead-letter queue of a rule starting a state machine (nag knows only Lambda and SQS redrive DLQs)
];

function acknowledgments(app: App): Array<{ path: string; rule: string; reason: string }> {
  const found: Array<{ path: string; rule: string; reason: string }> = [];
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [rule, reason] of Object.entries(entry.data as Record<string, string>)) found.push({ path: construct.node.path, rule: rule.replace(/^annotation::/i, ''), reason });
    }
  }
  return found;
}

// Acknowledgments name findings by their resolved resource strings, which differ between stacks
// with a known account and region and environment-agnostic ones (pseudo parameters): check both.
describe.each([
  ['the declared topology', undefined, 'a known account and region'],
  ['a topology with signers, WLP routes and bucket writers', SYNTHETIC_TOPOLOGY, 'a known account and region'],
  ['a topology with signers, WLP routes and bucket writers', SYNTHETIC_TOPOLOGY, 'no account or region (environment-agnostic)'],
] as const)('cdk-nag AWS Solutions checks on %s with %s', (_name, topology, where) => {
  let synth: SynthesizedSsi;

  beforeAll(() => {
    const agnostic = where.startsWith('no account');
    // Synthesis itself fails on a finding nobody acknowledged (the app registers the checks).
    synth = synthesizeSsi({ topology, nag: true, overrides: agnostic ? { account: undefined, region: undefined } : {} });
  });

  test('leave no finding unacknowledged, error or warning', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(synth.app);

    expect(report.violations.map((v) => `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  test('acknowledge only the expected rules, each with a written reason', () => {
    const found = acknowledgments(synth.app);

    expect(found.length).toBeGreaterThan(0);
    for (const { rule, reason, path } of found) {
      expect({ path, rule: rule.replace(/\[.*$/, '') }).toEqual({ path, rule: expect.stringMatching(new RegExp(`^(${ACKNOWLEDGED_RULES.join('|')})$`)) });
      expect(reason.trim().split(/\s+/).length).toBeGreaterThanOrEqual(8);
    }
  });
});

test('the checks the app registers stop a synth with an unacknowledged finding', () => {
  const app = new App({ outdir: temporaryDir('ssi-nag-'), builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Careless');
  new s3.Bucket(stack, 'Plain');
  addNagChecks(app);

  expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
});
