/**
 * Checks a message against the Block Kit limits Slack enforces, answering with the error code
 * Slack's Web API would give (`invalid_blocks`, `msg_too_long`), so tests and the Web API stand-in
 * refuse exactly what real Slack would refuse.
 */

/** Why a message would be refused: Slack's error code and a readable detail. */
export interface LimitViolation {
  /** The `error` Slack answers with. */
  error: 'invalid_blocks' | 'msg_too_long' | 'no_text';
  /** Which limit was broken, for test output. */
  detail: string;
}

type Json = Record<string, unknown>;

function textOf(o: unknown): string | undefined {
  if (typeof o !== 'object' || o === null) return undefined;
  const t = (o as Json).text;
  return typeof t === 'string' ? t : undefined;
}

/** Returns what Slack would refuse in this message, or null when Slack would accept it. */
export function checkSlackMessage(msg: { text?: unknown; blocks?: unknown }): LimitViolation | null {
  const text = typeof msg.text === 'string' ? msg.text : '';
  if (text.length > 40000) return { error: 'msg_too_long', detail: `text is ${text.length} chars` };
  const blocks = Array.isArray(msg.blocks) ? (msg.blocks as Json[]) : [];
  if (blocks.length === 0 && text.length === 0) return { error: 'no_text', detail: 'no text and no blocks' };
  if (blocks.length > 50) return { error: 'invalid_blocks', detail: `${blocks.length} blocks (max 50)` };
  const bad = (detail: string): LimitViolation => ({ error: 'invalid_blocks', detail });
  const actionIds = new Set<string>();
  for (const [i, b] of blocks.entries()) {
    const where = `blocks[${i}] (${String(b.type)})`;
    switch (b.type) {
      case 'header': {
        const t = textOf(b.text) ?? '';
        if (t.length === 0 || t.length > 150) return bad(`${where}: header text ${t.length} chars (1..150)`);
        break;
      }
      case 'section': {
        const t = textOf(b.text);
        const fields = Array.isArray(b.fields) ? (b.fields as unknown[]) : undefined;
        if (t === undefined && fields === undefined) return bad(`${where}: neither text nor fields`);
        if (t !== undefined && (t.trim().length === 0 || t.length > 3000)) return bad(`${where}: text ${t.length} chars (1..3000)`);
        if (fields !== undefined) {
          if (fields.length === 0 || fields.length > 10) return bad(`${where}: ${fields.length} fields (1..10)`);
          for (const f of fields) {
            const ft = textOf(f) ?? '';
            if (ft.length === 0 || ft.length > 2000) return bad(`${where}: field text ${ft.length} chars (1..2000)`);
          }
        }
        break;
      }
      case 'context': {
        const els = Array.isArray(b.elements) ? (b.elements as unknown[]) : [];
        if (els.length === 0 || els.length > 10) return bad(`${where}: ${els.length} elements (1..10)`);
        for (const e of els) {
          const et = textOf(e) ?? '';
          if (et.length === 0 || et.length > 3000) return bad(`${where}: element text ${et.length} chars (1..3000)`);
        }
        break;
      }
      case 'actions': {
        const els = Array.isArray(b.elements) ? (b.elements as Json[]) : [];
        if (els.length === 0 || els.length > 25) return bad(`${where}: ${els.length} elements (1..25)`);
        for (const e of els) {
          const label = textOf(e.text) ?? '';
          if (label.length === 0 || label.length > 75) return bad(`${where}: button text ${label.length} chars (1..75)`);
          const id = typeof e.action_id === 'string' ? e.action_id : '';
          if (id.length === 0 || id.length > 255) return bad(`${where}: action_id ${id.length} chars (1..255)`);
          if (actionIds.has(id)) return bad(`${where}: duplicate action_id ${id}`);
          actionIds.add(id);
          if (typeof e.value === 'string' && e.value.length > 2000) return bad(`${where}: value ${e.value.length} chars (max 2000)`);
          if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') return bad(`${where}: style ${String(e.style)}`);
          const c = e.confirm as Json | undefined;
          if (c !== undefined) {
            const lens: Array<[string, number]> = [
              ['title', 100],
              ['text', 300],
              ['confirm', 30],
              ['deny', 30],
            ];
            for (const [k, max] of lens) {
              const v = textOf(c[k]) ?? '';
              if (v.length === 0 || v.length > max) return bad(`${where}: confirm.${k} ${v.length} chars (1..${max})`);
            }
          }
        }
        break;
      }
      default:
        return bad(`${where}: block type not used by dockhand`);
    }
  }
  return null;
}
