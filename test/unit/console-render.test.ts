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
});
