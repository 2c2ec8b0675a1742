import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ListImagesCommand,
  paginateDescribeImages,
} from '@aws-sdk/client-ecr';
import { startSandbox } from '../../src/sandbox/server.ts';
import type { Sandbox } from '../../src/sandbox/server.ts';
import { SandboxClock } from '../../src/sandbox/clock.ts';
import { rejection } from './sdk-rejection.ts';

let sandbox: Sandbox;
let ecr: ECRClient;
const T0 = Date.UTC(2026, 10, 27, 9);


beforeAll(async () => {
  sandbox = await startSandbox({ clock: new SandboxClock({ manual: true, start: T0 }) });
  ecr = new ECRClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const s = sandbox.state;
  s.putImage('web', { tags: ['1.0.0'], pushedAt: T0 - 3 * 86_400_000, sizeInBytes: 61_000_000, findings: { HIGH: 2, LOW: 1 } });
  s.putImage('web', { tags: ['1.1.0', 'latest'], digest: `sha256:${'a'.repeat(64)}`, pushedAt: T0 - 86_400_000, sizeInBytes: 62_500_000, findings: { CRITICAL: 1, MEDIUM: 3 } });
  s.putImage('web', { tags: [], pushedAt: T0 - 5 * 86_400_000 });
  for (let i = 0; i < 1_205; i++) s.putImage('bulk', { tags: [`build-${i}`], pushedAt: T0 + i });
  for (let i = 0; i < 3; i++) s.createRepository(`extra-${i}`);
});

afterAll(async () => {
  ecr.destroy();
  await sandbox.stop();
});

describe('sandbox ECR', () => {
  it('describes repositories with their URIs', async () => {
    const all = await ecr.send(new DescribeRepositoriesCommand({}));
    expect(all.repositories?.map((r) => r.repositoryName)).toEqual(['web', 'bulk', 'extra-0', 'extra-1', 'extra-2']);
    const one = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['web'] }));
    expect(one.repositories?.[0]).toMatchObject({
      repositoryName: 'web',
      repositoryUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web',
      repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/web',
      registryId: '123456789012',
    });
    const paged = await ecr.send(new DescribeRepositoriesCommand({ maxResults: 2 }));
    expect(paged.repositories).toHaveLength(2);
    const rest = await ecr.send(new DescribeRepositoriesCommand({ maxResults: 2, nextToken: paged.nextToken }));
    expect(rest.repositories?.map((r) => r.repositoryName)).toEqual(['extra-0', 'extra-1']);
  });

  it('answers an unknown repository with RepositoryNotFoundException', async () => {
    for (const call of [
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })),
      ecr.send(new DescribeImagesCommand({ repositoryName: 'nope' })),
      ecr.send(new ListImagesCommand({ repositoryName: 'nope' })),
      ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'nope', imageId: { imageTag: 'x' } })),
    ]) {
      const err = await rejection(call);
      expect(err).toEqual({
        name: 'RepositoryNotFoundException',
        message: "The repository with name 'nope' does not exist in the registry with id '123456789012'",
        status: 400,
      });
    }
  });

  it('describes images with tags, digests, push times, sizes and finding counts', async () => {
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web' }));
    expect(out.imageDetails).toHaveLength(3);
    const latest = out.imageDetails?.find((d) => d.imageTags?.includes('latest'));
    expect(latest).toMatchObject({
      imageDigest: `sha256:${'a'.repeat(64)}`,
      imageTags: ['1.1.0', 'latest'],
      imageSizeInBytes: 62_500_000,
      imageScanStatus: { status: 'COMPLETE' },
      imageScanFindingsSummary: { findingSeverityCounts: { CRITICAL: 1, MEDIUM: 3 } },
    });
    expect(latest?.imagePushedAt?.getTime()).toBe(T0 - 86_400_000);
    const untagged = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web', filter: { tagStatus: 'UNTAGGED' } }));
    expect(untagged.imageDetails).toHaveLength(1);
    expect(untagged.imageDetails?.[0]?.imageTags).toBeUndefined();
    const byTag = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: '1.0.0' }] }));
    expect(byTag.imageDetails?.[0]?.imageScanFindingsSummary?.findingSeverityCounts).toEqual({ HIGH: 2, LOW: 1 });
    const missing = await rejection(ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: '9.9.9' }] })));
    expect(missing.name).toBe('ImageNotFoundException');
  });

  it('pages DescribeImages past the 1,000 limit', async () => {
    const first = await ecr.send(new DescribeImagesCommand({ repositoryName: 'bulk', maxResults: 1000 }));
    expect(first.imageDetails).toHaveLength(1000);
    expect(first.nextToken).toBeTruthy();
    const tooMany = await rejection(ecr.send(new DescribeImagesCommand({ repositoryName: 'bulk', maxResults: 1001 })));
    expect(tooMany.name).toBe('InvalidParameterException');
    const tags = new Set<string>();
    for await (const page of paginateDescribeImages({ client: ecr, pageSize: 1000 }, { repositoryName: 'bulk' })) {
      for (const d of page.imageDetails ?? []) for (const t of d.imageTags ?? []) tags.add(t);
    }
    expect(tags.size).toBe(1_205);
  });

  it('lists image ids, one per tag', async () => {
    const out = await ecr.send(new ListImagesCommand({ repositoryName: 'web' }));
    expect(out.imageIds).toHaveLength(4);
    expect(out.imageIds).toContainEqual({ imageDigest: `sha256:${'a'.repeat(64)}`, imageTag: 'latest' });
    const tagged = await ecr.send(new ListImagesCommand({ repositoryName: 'web', filter: { tagStatus: 'TAGGED' } }));
    expect(tagged.imageIds).toHaveLength(3);
    const page = await ecr.send(new ListImagesCommand({ repositoryName: 'bulk', maxResults: 1000 }));
    const rest = await ecr.send(new ListImagesCommand({ repositoryName: 'bulk', maxResults: 1000, nextToken: page.nextToken }));
    expect((page.imageIds?.length ?? 0) + (rest.imageIds?.length ?? 0)).toBe(1_205);
  });

  it('describes scan findings by severity, and ScanNotFoundException for an unscanned image', async () => {
    const out = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'web', imageId: { imageTag: 'latest' } }));
    expect(out.imageScanStatus?.status).toBe('COMPLETE');
    expect(out.imageScanFindings?.findingSeverityCounts).toEqual({ CRITICAL: 1, MEDIUM: 3 });
    expect(out.imageScanFindings?.findings).toHaveLength(4);
    expect(out.imageScanFindings?.findings?.[0]?.name).toMatch(/^CVE-\d{4}-\d+$/);
    const paged = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'web', imageId: { imageTag: 'latest' }, maxResults: 3 }));
    expect(paged.imageScanFindings?.findings).toHaveLength(3);
    expect(paged.nextToken).toBeTruthy();
    const unscanned = await rejection(
      ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'bulk', imageId: { imageTag: 'build-1' } })),
    );
    expect(unscanned.name).toBe('ScanNotFoundException');
  });
});
