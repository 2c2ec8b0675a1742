/**
 * ECR operations (target prefix AmazonEC2ContainerRegistry_V20150921): repositories,
 * images with tags, digests, sizes and scan findings.
 */
import type { SandboxState } from './state.ts';
import type { ImageRecord, RepositoryRecord } from './model.ts';
import { AwsError, decodeToken, encodeToken, invalidParameter, optObject, optString, optStringList, pageBySeq, pageSize, reqString, ts } from './protocol.ts';
import type { Json, JsonObject } from './protocol.ts';
import type { Operation } from './ecs.ts';

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

function repositoryShape(state: SandboxState, repo: RepositoryRecord): JsonObject {
  return {
    repositoryArn: repo.arn,
    registryId: state.accountId,
    repositoryName: repo.name,
    repositoryUri: repo.uri,
    createdAt: repo.createdAt / 1000,
    imageTagMutability: repo.tagMutability,
    imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
    encryptionConfiguration: { encryptionType: 'AES256' },
  };
}

function severityCounts(image: ImageRecord): JsonObject {
  const counts: JsonObject = {};
  for (const f of image.scan?.findings ?? []) counts[f.severity] = ((counts[f.severity] as number | undefined) ?? 0) + 1;
  const ordered: JsonObject = {};
  for (const s of SEVERITIES) if (counts[s] !== undefined) ordered[s] = counts[s];
  return ordered;
}

function scanStatus(image: ImageRecord): JsonObject | undefined {
  return image.scan ? { status: 'COMPLETE', description: 'The scan was completed successfully.' } : undefined;
}

function imageShape(state: SandboxState, repo: RepositoryRecord, image: ImageRecord): JsonObject {
  const out: JsonObject = {
    registryId: state.accountId,
    repositoryName: repo.name,
    imageDigest: image.digest,
    imageSizeInBytes: image.sizeInBytes,
    imagePushedAt: image.pushedAt / 1000,
    imageManifestMediaType: image.manifestMediaType,
    artifactMediaType: 'application/vnd.docker.container.image.v1+json',
    imageStatus: 'ACTIVE',
  };
  if (image.tags.length > 0) out['imageTags'] = [...image.tags];
  const status = scanStatus(image);
  if (image.scan && status) {
    out['imageScanStatus'] = status;
    out['imageScanFindingsSummary'] = {
      imageScanCompletedAt: image.scan.completedAt / 1000,
      vulnerabilitySourceUpdatedAt: (image.scan.completedAt - 3_600_000) / 1000,
      findingSeverityCounts: severityCounts(image),
    };
  }
  if (image.lastRecordedPullTime !== undefined) out['lastRecordedPullTime'] = ts(image.lastRecordedPullTime) ?? 0;
  return out;
}

function tagFilter(body: JsonObject): (img: ImageRecord) => boolean {
  const filter = optObject(body, 'filter');
  const status = filter?.['tagStatus'];
  if (status === undefined || status === 'ANY') return () => true;
  if (status === 'TAGGED') return (img) => img.tags.length > 0;
  if (status === 'UNTAGGED') return (img) => img.tags.length === 0;
  throw invalidParameter(`Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, ANY, UNTAGGED]'`);
}

function describeId(id: JsonObject): string {
  const digest = typeof id['imageDigest'] === 'string' ? `'${id['imageDigest']}'` : "'null'";
  const tag = typeof id['imageTag'] === 'string' ? `'${id['imageTag']}'` : "'null'";
  return `{imageDigest:${digest}, imageTag:${tag}}`;
}

function findImage(state: SandboxState, repo: RepositoryRecord, raw: Json | undefined): ImageRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidParameter('imageId must be an object.');
  const digest = raw['imageDigest'];
  const tag = raw['imageTag'];
  if (typeof digest !== 'string' && typeof tag !== 'string') throw invalidParameter('Invalid parameter: imageId must have imageDigest or imageTag.');
  let found: ImageRecord | undefined;
  for (const img of repo.images.values()) {
    if ((typeof digest !== 'string' || img.digest === digest) && (typeof tag !== 'string' || img.tags.includes(tag))) found = img;
  }
  if (!found) {
    throw new AwsError(
      'ImageNotFoundException',
      `The image with imageId ${describeId(raw)} does not exist within the repository with name '${repo.name}' in the registry with id '${state.accountId}'`,
    );
  }
  return found;
}

function describeRepositories(state: SandboxState, body: JsonObject): JsonObject {
  const names = optStringList(body, 'repositoryNames');
  const limit = pageSize(body, 'maxResults', 100, 1000);
  if (names) {
    if (names.length > 100) throw invalidParameter('repositoryNames can have at most 100 items.');
    return { repositories: names.map((n) => repositoryShape(state, state.repository(n))) };
  }
  const { page, nextToken } = pageBySeq(state.repositories.values(), optString(body, 'nextToken'), limit);
  const out: JsonObject = { repositories: page.map((r) => repositoryShape(state, r)) };
  if (nextToken) out['nextToken'] = nextToken;
  return out;
}

function describeImages(state: SandboxState, body: JsonObject): JsonObject {
  const repo = state.repository(reqString(body, 'repositoryName'));
  const ids = body['imageIds'];
  if (Array.isArray(ids)) {
    if (body['maxResults'] !== undefined || body['nextToken'] !== undefined) {
      throw invalidParameter('maxResults and nextToken cannot be used with imageIds.');
    }
    if (ids.length > 100) throw invalidParameter('imageIds can have at most 100 items.');
    return { imageDetails: ids.map((id) => imageShape(state, repo, findImage(state, repo, id))) };
  }
  const limit = pageSize(body, 'maxResults', 100, 1000);
  const keep = tagFilter(body);
  const { page, nextToken } = pageBySeq([...repo.images.values()].filter(keep), optString(body, 'nextToken'), limit);
  const out: JsonObject = { imageDetails: page.map((img) => imageShape(state, repo, img)) };
  if (nextToken) out['nextToken'] = nextToken;
  return out;
}

function listImages(state: SandboxState, body: JsonObject): JsonObject {
  const repo = state.repository(reqString(body, 'repositoryName'));
  const limit = pageSize(body, 'maxResults', 100, 1000);
  const keep = tagFilter(body);
  const ids: JsonObject[] = [];
  for (const img of repo.images.values()) {
    if (!keep(img)) continue;
    if (img.tags.length === 0) ids.push({ imageDigest: img.digest });
    for (const tag of img.tags) ids.push({ imageDigest: img.digest, imageTag: tag });
  }
  return offsetPage(ids, optString(body, 'nextToken'), limit, 'imageIds');
}

function describeImageScanFindings(state: SandboxState, body: JsonObject): JsonObject {
  const repo = state.repository(reqString(body, 'repositoryName'));
  const rawId = body['imageId'];
  const image = findImage(state, repo, rawId);
  const limit = pageSize(body, 'maxResults', 100, 1000);
  if (!image.scan) {
    throw new AwsError(
      'ScanNotFoundException',
      `Image scan does not exist for the image with '${describeId(rawId as JsonObject)}' in the repository with name '${repo.name}' in the registry with id '${state.accountId}'`,
    );
  }
  const findings: JsonObject[] = image.scan.findings.map((f) => ({
    name: f.name,
    description: f.description,
    uri: f.uri,
    severity: f.severity,
    attributes: f.attributes.map((a) => ({ key: a.key, value: a.value })),
  }));
  const page = offsetPage(findings, optString(body, 'nextToken'), limit, 'findings');
  const out: JsonObject = {
    registryId: state.accountId,
    repositoryName: repo.name,
    imageId: { imageDigest: image.digest, ...(typeof (rawId as JsonObject)['imageTag'] === 'string' ? { imageTag: (rawId as JsonObject)['imageTag'] } : {}) },
    imageScanStatus: scanStatus(image) ?? null,
    imageScanFindings: {
      imageScanCompletedAt: image.scan.completedAt / 1000,
      vulnerabilitySourceUpdatedAt: (image.scan.completedAt - 3_600_000) / 1000,
      findingSeverityCounts: severityCounts(image),
      findings: page['findings'] ?? [],
    },
  };
  if (page['nextToken'] !== undefined) out['nextToken'] = page['nextToken'];
  return out;
}

function offsetPage(items: JsonObject[], token: string | undefined, limit: number, key: string): JsonObject {
  const cursor = decodeToken(token);
  const start = cursor === undefined ? 0 : Number(cursor['o']);
  if (!Number.isInteger(start) || start < 0) throw invalidParameter('Invalid token');
  const out: JsonObject = { [key]: items.slice(start, start + limit) };
  if (start + limit < items.length) out['nextToken'] = encodeToken({ o: start + limit });
  return out;
}

/** The ECR operations the sandbox serves, by name. */
export const ecrOperations: Record<string, Operation> = {
  DescribeRepositories: describeRepositories,
  DescribeImages: describeImages,
  ListImages: listImages,
  DescribeImageScanFindings: describeImageScanFindings,
};
