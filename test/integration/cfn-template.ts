import { parse, type Tags } from 'yaml';

/** A CloudFormation template as plain data, intrinsic functions in their long JSON form. */
export interface Template {
  /** Template parameters by name. */
  Parameters: Record<string, { Type: string; Default?: unknown; AllowedValues?: unknown[] }>;
  /** Resources by logical id. */
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  /** Outputs by name. */
  Outputs?: Record<string, unknown>;
}

// CloudFormation's short forms (!Ref, !Sub, …) become the long forms ({"Ref": …}), as CloudFormation reads them.
const scalarFns: Record<string, string> = { '!Ref': 'Ref', '!Sub': 'Fn::Sub', '!ImportValue': 'Fn::ImportValue', '!Condition': 'Condition' };
const seqFns: Record<string, string> = {
  '!If': 'Fn::If',
  '!Not': 'Fn::Not',
  '!Equals': 'Fn::Equals',
  '!And': 'Fn::And',
  '!Or': 'Fn::Or',
  '!Join': 'Fn::Join',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!Sub': 'Fn::Sub',
  '!FindInMap': 'Fn::FindInMap',
};

const tags: Tags = [
  ...Object.entries(scalarFns).map(([tag, fn]) => ({ tag, resolve: (v: string) => ({ [fn]: v }) })),
  ...Object.entries(seqFns).map(([tag, fn]) => ({
    tag,
    collection: 'seq' as const,
    resolve: (v: unknown) => ({ [fn]: (v as { toJSON(): unknown }).toJSON() }),
  })),
  { tag: '!GetAtt', resolve: (v: string) => ({ 'Fn::GetAtt': v.split('.') }) },
];

/** Parses a CloudFormation YAML template, short-form intrinsic functions included. */
export function parseTemplate(text: string): Template {
  return parse(text, { customTags: tags }) as Template;
}
