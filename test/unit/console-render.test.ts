import { describe, expect, it } from 'vitest';
import { renderForTerminal } from '../../src/adapters/console/render.ts';
import { reply } from '../../src/core/reply.ts';

describe('terminal renderer', () => {
  it('aligns table columns, right-aligns numbers where asked, and numbers the buttons', () => {
    const out = renderForTerminal(
      reply([
        { kind: 'heading', text: 'Services in demo (us-east-1)' },
        { kind: 'table', columns: ['Service', 'Desired', 'Running'], rows: [['web', '2', '2'], ['payments', '10', '7']], align: ['left', 'right', 'right'] },
        { kind: 'fields', fields: [{ label: 'Cluster', value: 'demo' }, { label: 'Region', value: 'us-east-1' }] },
        { kind: 'code', text: 'line one\nline two' },
        { kind: 'actions', buttons: [{ label: 'Confirm', action: 'confirm:x', style: 'danger' }, { label: 'Cancel', action: 'cancel:x' }] },
      ]),
    );
    expect(out.text).toBe(
      [
        'Services in demo (us-east-1)',
        'Service   Desired  Running',
        '────────  ───────  ───────',
        'web             2        2',
        'payments       10        7',
        'Cluster: demo',
        'Region:  us-east-1',
        '  line one',
        '  line two',
        '[1] Confirm   [2] Cancel   (type the number to press)',
      ].join('\n'),
    );
    expect(out.buttons.map((b) => b.action)).toEqual(['confirm:x', 'cancel:x']);
  });
  it('says (none) for an empty table and strips *bold* marks without colour', () => {
    const out = renderForTerminal(reply([{ kind: 'text', text: '*web* is steady' }, { kind: 'table', columns: ['A'], rows: [] }]));
    expect(out.text).toBe('web is steady\n(none)');
  });

  it('drops escape sequences and control characters from text it did not style itself', () => {
    const out = renderForTerminal(
      reply([
        { kind: 'text', text: 'crash: \u001b]0;owned\u0007\u001b[2Jdone\u0007' },
        { kind: 'code', text: '\u001b[31mERROR\u001b[0m db timeout' },
        { kind: 'table', columns: ['Service'], rows: [['web\u001b[1A']] },
      ]),
      { color: true },
    );
    expect(out.text).toContain('crash: done�');
    expect(out.text).toContain('  ERROR db timeout');
    // Only the renderer's own styling (bold headers) remains.
    // eslint-disable-next-line no-control-regex
    expect(out.text.replace(/\u001b\[(1|0|2|1;36)m/g, '')).not.toContain('\u001b');
  });
});
