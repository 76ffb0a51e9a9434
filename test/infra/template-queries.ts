/**
 * Reading a synthesized template in the infra tests: the function role's
 * statements, and CloudFormation values rendered as text.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
};

/** Every statement of every identity policy in the template. */
export function identityStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

/** The statement `sid`, without its actions: the action set is asserted in one place (stack.spec.ts). */
export function statementWithoutActions(template: Template, sid: string): Omit<Statement, 'Action'> {
  const found = identityStatements(template).filter((statement) => statement.Sid === sid);
  if (found.length !== 1) throw new Error(`expected one statement ${sid}, found ${found.length}`);
  const { Action: _actions, ...rest } = found[0] as Statement;
  return rest;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** `{ "Fn::Join": ["", ["arn:", { "Ref": "AWS::Partition" }, ...]] }` as `arn:<AWS::Partition>...`. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    if ('Ref' in object) return `<${String(object.Ref)}>`;
    if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  return JSON.stringify(value);
}
