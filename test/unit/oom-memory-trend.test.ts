import { describe, expect, it } from 'vitest';
import { memoryTrendText } from '../../src/watcher/alerts.ts';

const pts = (vs: number[]) => vs.map((v, i) => ({ t: i * 60_000, v }));

describe('the memory lines of an OOM alert', () => {
  it('shows the service trend and, where Container Insights records it, the task’s own peak', () => {
    const text = memoryTrendText({ service: pts([40, 60, 80, 99]), task: pts([200, 350, 500]) });
    expect(text).toMatch(/^Service memory, last 30 min: ▄▅▇█ max 99%, last 99%/);
    expect(text).toMatch(/\nThis task \(Container Insights\): [▁▂▃▄▅▆▇█]+ peak 500 MiB$/);
  });

  it('says when CloudWatch has nothing yet, and why there is no trend at all', () => {
    expect(memoryTrendText({ service: [], task: [] })).toContain('CloudWatch has no data yet');
    expect(memoryTrendText({ service: [], task: [], note: 'AWS denied cloudwatch:GetMetricData' })).toBe('Memory before the kill unavailable: AWS denied cloudwatch:GetMetricData');
  });
});
