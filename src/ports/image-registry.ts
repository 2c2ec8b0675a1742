/**
 * The image registry (ECR) in platform-neutral shapes. Times are milliseconds since the epoch.
 */

/** One repository. */
export interface RepositoryInfo {
  /** The repository name, such as `web`. */
  name: string;
  /** The repository ARN. */
  arn: string;
  /** The URI images are pulled from, such as `123456789012.dkr.ecr.us-east-1.amazonaws.com/web`. */
  uri: string;
  /** When it was created. */
  createdAt?: number;
}

/** Vulnerability counts by severity (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED). */
export type SeverityCounts = Partial<Record<string, number>>;

/** The scan state and findings of an image. */
export interface ScanSummary {
  /** COMPLETE, IN_PROGRESS, FAILED, ... when known. */
  status?: string;
  /** Findings by severity; empty when the scan found nothing. */
  counts: SeverityCounts;
  /** When the scan completed. */
  completedAt?: number;
  /** Why the scan failed or is incomplete, when ECR says. */
  description?: string;
  /** Named findings, most severe first (the first page only; `counts` has the totals). */
  findings?: { name: string; severity: string }[];
}

/** One image of a repository. */
export interface ImageInfo {
  /** The repository it belongs to. */
  repository: string;
  /** Its digest, `sha256:...`. */
  digest: string;
  /** Its tags (empty for untagged images). */
  tags: string[];
  /** When it was pushed. */
  pushedAt?: number;
  /** Its size in bytes. */
  sizeBytes?: number;
  /** Its scan findings summary, when it was scanned. */
  scan?: ScanSummary;
}

/** The registry. Paging is the implementation's job: lists come back whole. */
export interface ImageRegistry {
  /** All repositories of the region. */
  listRepositories(region: string): Promise<RepositoryInfo[]>;
  /**
   * All images of a repository, every page (the API returns at most 1,000 a page),
   * with their scan summaries. Throws `repository-not-found`.
   */
  listImages(region: string, repository: string): Promise<ImageInfo[]>;
  /** The scan findings of one image by digest, with the names of the most severe; null when it was never scanned. */
  scanFindings(region: string, repository: string, digest: string): Promise<ScanSummary | null>;
}
