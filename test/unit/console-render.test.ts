import { describe, expect, it } from 'vitest';
import { renderForTerminal, wrap } from '../../src/adapters/console/render.ts';
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

describe('wrapping a word longer than the line', () => {
  it('breaks an image URI at its last seam that fits (/, :, .), not in the middle of a name', () => {
    const uri = '123456789012.dkr.ecr.us-east-1.amazonaws.com/reports:0.6.0';
    const out = wrap(`Image:             ${uri}`, 70, ' '.repeat(19));
    expect(out.split('\n')).toEqual(['Image:', `                   123456789012.dkr.ecr.us-east-1.amazonaws.com/`, `                   reports:0.6.0`]);
    expect(out.split('\n').every((l) => l.length <= 70)).toBe(true);
  });

  it('still cuts at the width when a long word has no seam', () => {
    const out = wrap(`Token: ${'x'.repeat(50)}`, 30, '  ');
    expect(out.split('\n').every((l) => l.length <= 30)).toBe(true);
    expect(out.replace(/\n\s*/g, '')).toBe(`Token:${'x'.repeat(50)}`);
  });
});
