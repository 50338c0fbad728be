import { Stack, type StackProps } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { SsiEnvironment } from '../environment';
import { functionRoleArn, keyAliasName } from '../constructs/naming';
import { SigningKey } from '../constructs/signing-key';
import { DECLARED_TOPOLOGY, type Topology } from './declared';

export interface SigningStackProps extends StackProps {
  readonly ssi: SsiEnvironment;
  /** @default the declared topology (topology/index.ts) */
  readonly topology?: Topology;
}

/**
 * One KMS secp256k1 key per signing role (operator, reserve, rewards). Kept apart from the
 * functions because keys live as long as the on-chain roles granted to their addresses, while
 * functions are replaced on every deploy.
 */
export class SigningStack extends Stack {
  readonly keys: Readonly<Record<string, IKey>>;

  constructor(scope: Construct, id: string, props: SigningStackProps) {
    super(scope, id, props);
    const topology = props.topology ?? DECLARED_TOPOLOGY;
    const keys: Record<string, IKey> = {};
    for (const spec of topology.keys) {
      const signers = topology.functions.filter((fn) => fn.keys.includes(spec.role));
      keys[spec.role] = new SigningKey(this, `Key-${spec.role}`, {
        alias: keyAliasName(spec.alias, props.ssi.name),
        description: `${spec.description} (${props.ssi.name})`,
        // An operator-only key (admin) is signed with by the operators' roles cdk.json names, never by a function.
        signerRoleArns: spec.operatorOnly ? props.ssi.config.adminSignerRoleArns : signers.map((fn) => functionRoleArn(this, props.ssi.name, fn.name)),
      }).key;
    }
    this.keys = keys;
  }
}
