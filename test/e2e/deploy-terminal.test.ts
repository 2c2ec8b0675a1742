/**
 * The release workflow over the terminal: `/ecs deploy reports 0.5.0`, Confirm typed as its number,
 * and the follow-up saying reports is steady (it ran a tag ECR does not have until then).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';

describe('/ecs deploy over the terminal against the default sandbox', () => {
  it('asks with old → new image and scan, deploys on Confirm, and follows reports until steady, with Undo', async () => {
    const r = await runCli(['/ecs deploy reports 0.5.0', '1'], { DOCKHAND_SANDBOX_SPEED: '20', COLUMNS: '200' }, 150_000);
    const out = r.stdout;
    expect(out).toContain('❓ Deploy reports 0.5.0 to reports in cluster demo (us-east-1, sandbox)?');
    expect(out).toMatch(/Container reports: 0\.6\.0 → 0\.5\.0 \([0-9a-f]{12}\)\./);
    expect(out).toContain('Scan of reports 0.5.0: 1 MEDIUM, 1 LOW.');
    expect(out).toMatch(/\[1\] Confirm +\[2\] Cancel/);
    expect(out).toContain('Deploying reports 0.5.0 to reports in cluster demo (us-east-1): reports:1 → reports:2');
    expect(out).toMatch(/↳ ✅ reports is steady: 1\/1 running \(after \d+s\)/);
    expect(out).toMatch(/\[3\] Undo/);
    expect(r.code).toBe(0);
    expect(out + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }, 160_000);
});
