/**
 * CloudWatch Logs filter patterns as the sandbox understands them: plain terms (all must
 * appear), quoted phrases, `?term` (any of) and `-term` (none of). Matching is
 * case-sensitive, as in CloudWatch.
 */
import { invalidParameter } from './protocol.ts';

/** A compiled filter pattern. */
export type LogMatcher = (message: string) => boolean;

/** Compiles a filter pattern; JSON and space-delimited patterns are refused with InvalidParameterException. */
export function compileFilterPattern(pattern: string | undefined): LogMatcher {
  const text = (pattern ?? '').trim();
  if (text === '') return () => true;
  if (text.startsWith('{') || text.startsWith('[')) {
    throw invalidParameter('Invalid filter pattern: the dockhand sandbox supports terms and quoted phrases, not JSON or space-delimited patterns.');
  }
  const required: string[] = [];
  const anyOf: string[] = [];
  const excluded: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    let kind: 'req' | 'any' | 'not' = 'req';
    if (ch === '?' || ch === '-') {
      kind = ch === '?' ? 'any' : 'not';
      i++;
    }
    let term = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        term += text[i];
        i++;
      }
      if (text[i] !== '"') throw invalidParameter('Invalid filter pattern: unterminated quoted phrase.');
      i++;
    } else {
      while (i < text.length && text[i] !== ' ' && text[i] !== '\t') term += text[i++];
    }
    if (term === '') continue;
    (kind === 'req' ? required : kind === 'any' ? anyOf : excluded).push(term);
  }
  return (message) =>
    required.every((t) => message.includes(t)) &&
    (anyOf.length === 0 || anyOf.some((t) => message.includes(t))) &&
    !excluded.some((t) => message.includes(t));
}
