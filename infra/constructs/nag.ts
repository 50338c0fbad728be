import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on a construct (and everything under it) with the reason it
 * is acceptable here. A reason must say why, so a short one fails the synth.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  if (reason.trim().length < 30) throw new Error(`the acknowledgment of ${rule} on ${scope.node.path} needs a written reason, not "${reason}"`);
  Validations.of(scope).acknowledge({ id: rule, reason });
}

/**
 * The string cdk-nag names a wildcard resource by in an IAM5 finding (`Resource::<...>`):
 * CloudFormation references flattened, `${X}` and `{Ref: X}` written `<X>`. Only for values built
 * from literals and pseudo parameters, which resolve the same in every stack.
 */
export function nagResourceName(scope: IConstruct, value: string): string {
  const visit = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const object = node as Record<string, unknown>;
    if (object['Fn::Join']) {
      const [delimiter, items] = object['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (object.Ref !== undefined) return `<${visit(object.Ref)}>`;
    if (object['Fn::GetAtt']) {
      const [resource, attribute] = object['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(value));
}
