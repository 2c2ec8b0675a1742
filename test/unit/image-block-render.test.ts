import { describe, expect, it } from 'vitest';
import { renderForTerminal } from '../../src/adapters/console/render.ts';
import { renderReply } from '../../src/adapters/slack/render.ts';
import { reply, replyToPlainText, type ImageBlock } from '../../src/core/reply.ts';

const image: ImageBlock = { kind: 'image', png: new Uint8Array([137, 80, 78, 71]), title: 'web — CPU and memory, last 1h', alt: 'Line chart of web: CPU <20%> & memory', filename: 'web-metrics.png' };
const r = reply([{ kind: 'text', text: 'CPU ▂▂▃' }, image]);

describe('the image block in each renderer', () => {
  it('the terminal prints the alt text in place of the picture', () => {
    expect(renderForTerminal(r).text).toBe('CPU ▂▂▃\n[chart: web — CPU and memory, last 1h] Line chart of web: CPU <20%> & memory');
    expect(replyToPlainText(r)).toContain('[image: Line chart of web');
  });

  it('Slack says the chart follows when the adapter uploads it, and leaves it out with the alt text (escaped) when it cannot', () => {
    const attached = JSON.stringify(renderReply(r, { images: 'attached' }).blocks);
    expect(attached).toContain('📈 web — CPU and memory, last 1h: chart attached below');
    const left = JSON.stringify(renderReply(r).blocks);
    expect(left).toContain('Line chart of web: CPU &lt;20%&gt; &amp; memory (chart left out');
    // No bytes ever go into blocks.
    expect(left).not.toContain('137,80');
  });
});
