import {
  DescribeImageScanFindingsCommand,
  ECRClient,
  paginateDescribeImages,
  paginateDescribeRepositories,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import type { ImageInfo, ImageRegistry, RepositoryInfo, ScanSummary, SeverityCounts } from '../ports/image-registry.ts';
import { ms } from './batch.ts';
import { clientConfig, RegionalClients, type AwsClientOptions } from './clients.ts';
import { awsErrorName, call, toCloudError } from './errors.ts';

/** ECR's severities, most severe first (UNDEFINED last), for ordering named findings. */
const SEVERITY_ORDER = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];

/** DescribeImages returns at most 1,000 images a page. */
const IMAGES_PER_PAGE = 1000;

function toImage(repository: string, d: ImageDetail): ImageInfo {
  const counts: SeverityCounts = { ...(d.imageScanFindingsSummary?.findingSeverityCounts ?? {}) };
  const status = d.imageScanStatus?.status;
  const scanned = status !== undefined || d.imageScanFindingsSummary !== undefined;
  const completedAt = ms(d.imageScanFindingsSummary?.imageScanCompletedAt);
  return {
    repository,
    digest: d.imageDigest ?? '',
    tags: d.imageTags ?? [],
    ...(d.imagePushedAt ? { pushedAt: d.imagePushedAt.getTime() } : {}),
    ...(d.imageSizeInBytes !== undefined ? { sizeBytes: d.imageSizeInBytes } : {}),
    ...(scanned
      ? { scan: { ...(status ? { status } : {}), counts, ...(completedAt !== undefined ? { completedAt } : {}) } }
      : {}),
  };
}

/** ImageRegistry on Amazon ECR through the AWS SDK v3 (or anything that speaks its protocol). */
export class SdkImageRegistry implements ImageRegistry {
  private readonly clients: RegionalClients<ECRClient>;

  /** Builds one ECR client per region on first use, with the given endpoint and credentials. */
  constructor(options: AwsClientOptions = {}) {
    this.clients = new RegionalClients((region) => new ECRClient(clientConfig(region, options)), options);
  }

  /** All repositories of the region. */
  async listRepositories(region: string): Promise<RepositoryInfo[]> {
    return call({ action: 'ecr:DescribeRepositories', region }, async () => {
      const out: RepositoryInfo[] = [];
      for await (const page of paginateDescribeRepositories({ client: this.clients.get(region), pageSize: 1000 }, {})) {
        for (const r of page.repositories ?? []) {
          out.push({
            name: r.repositoryName ?? '',
            arn: r.repositoryArn ?? '',
            uri: r.repositoryUri ?? '',
            ...(r.createdAt ? { createdAt: r.createdAt.getTime() } : {}),
          });
        }
      }
      return out;
    });
  }

  /** All images of a repository, every page of up to 1,000. */
  async listImages(region: string, repository: string): Promise<ImageInfo[]> {
    const site = { action: 'ecr:DescribeImages', region, resource: `repository ${repository}`, name: repository };
    return call(site, async () => {
      const out: ImageInfo[] = [];
      const pages = paginateDescribeImages(
        { client: this.clients.get(region), pageSize: IMAGES_PER_PAGE },
        { repositoryName: repository },
      );
      for await (const page of pages) {
        for (const d of page.imageDetails ?? []) out.push(toImage(repository, d));
      }
      return out;
    }, 'repository-not-found');
  }

  /** The scan findings summary of one image; null when it was never scanned. */
  async scanFindings(region: string, repository: string, digest: string): Promise<ScanSummary | null> {
    const site = { action: 'ecr:DescribeImageScanFindings', region, resource: `image ${digest} in repository ${repository}`, name: repository };
    let out;
    try {
      out = await this.clients
        .get(region)
        .send(new DescribeImageScanFindingsCommand({ repositoryName: repository, imageId: { imageDigest: digest }, maxResults: 100 }));
    } catch (e) {
      // ECR answers ScanNotFoundException for images that were never scanned.
      if (awsErrorName(e) === 'ScanNotFoundException') return null;
      throw toCloudError(e, site, 'image-not-found');
    }
    const f = out.imageScanFindings;
    const completedAt = ms(f?.imageScanCompletedAt);
    const named = [...(f?.findings ?? []), ...(f?.enhancedFindings ?? []).map((e) => ({ name: e.title ?? e.packageVulnerabilityDetails?.vulnerabilityId, severity: e.severity }))]
      .filter((x): x is { name: string; severity: string } => typeof x.name === 'string' && typeof x.severity === 'string')
      .map((x) => ({ name: x.name, severity: x.severity }))
      .sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
    return {
      ...(out.imageScanStatus?.status ? { status: out.imageScanStatus.status } : {}),
      ...(out.imageScanStatus?.description ? { description: out.imageScanStatus.description } : {}),
      counts: { ...(f?.findingSeverityCounts ?? {}) },
      ...(completedAt !== undefined ? { completedAt } : {}),
      findings: named,
    };
  }

  /** Closes the clients' sockets. */
  destroy(): void {
    this.clients.destroy();
  }
}
