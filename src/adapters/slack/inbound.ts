/**
 * Text as Slack sends it to an app, turned back into what the user typed. Slack escapes `&`, `<`
 * and `>` as `&amp;`, `&lt;` and `&gt;` in slash-command text and in some interaction fields (a
 * pressed button's label), and with `should_escape: true` sends mentions as `<@U…|name>`, channels
 * as `<#C…|name>` and links as `<url>` (Slack, "Formatting text for app surfaces" and "Enabling
 * interactivity with slash commands"). Control sequences are read first and the entities decoded
 * in the rest, in one pass, so text typed as `&lt;` never turns into a sequence.
 */

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>' };

/** Decodes `&amp;`, `&lt;` and `&gt;` (and nothing else, as Slack escapes nothing else). */
export function decodeSlackEntities(s: string): string {
  return s.replace(/&(amp|lt|gt);/g, (_m, e: string) => ENTITY[e] ?? _m);
}

/** One control sequence's inside (`@U123|ana`, `#C1|ops`, `https://x|x`) as dockhand's command line wants it. */
function fromSequence(inner: string, raw: string): string {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : decodeSlackEntities(inner.slice(bar + 1));
  // A user mention becomes the user, in the form every platform's commands read (`<@U123>`).
  if (/^@[UW][A-Z0-9]+$/.test(target)) return `<@${target.slice(1)}>`;
  if (/^#C[A-Z0-9]+$/.test(target)) return label ? `#${label}` : `<${target}>`;
  if (target.startsWith('!subteam^')) return label ?? `<${target}>`;
  if (/^!(here|channel|everyone)$/.test(target)) return `@${target.slice(1)}`;
  if (target.startsWith('!')) return label ?? raw;
  // A link becomes its URL (the label Slack shows is the same text or a shortening of it).
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return decodeSlackEntities(target);
  return raw;
}

/** Slash-command text (or another escaped field) as the user typed it; see the module comment. */
export function decodeSlackText(s: string): string {
  return s.replace(/<([^<>]*)>|&(amp|lt|gt);/g, (m, inner: string | undefined, e: string | undefined) => (e ? (ENTITY[e] ?? m) : fromSequence(inner ?? '', m)));
}
