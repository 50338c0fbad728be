import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** What a key administrator may do through IAM: manage the key, never use it to sign. */
const ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

export interface SigningKeyProps {
  /** Alias operators find the key by, e.g. alias/ssi-operator-prod. */
  readonly alias: string;
  readonly description: string;
  /**
   * ARNs of the roles that may sign with this key: the roles of the functions whose topology
   * entry declares it. Named by ARN (not by reference) so the key can be created before them.
   */
  readonly signerRoleArns: readonly string[];
}

/**
 * A secp256k1 signing key (ECC_SECG_P256K1, SIGN_VERIFY): the on-chain identity of one role.
 * Its key policy lets account administrators manage it through IAM but allows kms:Sign only to
 * the declared signer roles and denies it to every other principal, so no IAM policy elsewhere
 * in the account can make another identity sign. Retained on stack deletion: losing the key
 * loses the address the contracts granted a role to.
 */
export class SigningKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: SigningKeyProps) {
    super(scope, id);
    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'KeyAdministration',
          principals: [new iam.AccountRootPrincipal()],
          actions: ADMIN_ACTIONS,
          resources: ['*'],
        }),
      ],
    });
    if (props.signerRoleArns.length > 0) {
      policy.addStatements(
        new iam.PolicyStatement({
          sid: 'SignOnlyAsDeclaredFunctions',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:Sign'],
          resources: ['*'],
          conditions: { ArnEquals: { 'aws:PrincipalArn': [...props.signerRoleArns] } },
        }),
        new iam.PolicyStatement({
          sid: 'NobodyElseSigns',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Sign'],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...props.signerRoleArns] } },
        }),
      );
    } else {
      policy.addStatements(
        new iam.PolicyStatement({
          sid: 'NobodySignsYet',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Sign'],
          resources: ['*'],
        }),
      );
    }
    this.key = new kms.Key(this, 'Key', {
      alias: props.alias,
      description: props.description,
      keySpec: kms.KeySpec.ECC_SECG_P256K1,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      policy,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
