import { CloudError, type CloudErrorKind } from '../ports/container-service.ts';

/** The fields of an SDK service exception this mapping reads. */
interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'LimitExceededException',
  'SlowDown',
]);

const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'AuthorizationError']);

const BAD_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'IncompleteSignature',
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/** What a failed call was doing, for the message. */
export interface CallSite {
  /** The IAM action, such as `ecs:UpdateService`. */
  action: string;
  /** The resource, such as `service web in cluster demo`. */
  resource?: string;
  /** The region called. */
  region: string;
  /** The cluster acted in, for "no cluster" messages. */
  cluster?: string;
  /** The service, repository or log group acted on, for "not found" messages. */
  name?: string;
}

function shapeOf(e: unknown): SdkErrorShape {
  return typeof e === 'object' && e !== null ? (e as SdkErrorShape) : {};
}

/** The name an SDK error reports, with any `Namespace#` prefix removed. */
export function awsErrorName(e: unknown): string {
  const s = shapeOf(e);
  const n = s.name ?? s.code ?? '';
  const i = n.lastIndexOf('#');
  return i >= 0 ? n.slice(i + 1) : n;
}

/** True when the error is AWS throttling (after the SDK's own retries gave up). */
export function isThrottling(e: unknown): boolean {
  const s = shapeOf(e);
  return THROTTLING.has(awsErrorName(e)) || s.$metadata?.httpStatusCode === 429 || s.$retryable?.throttling === true;
}

/** Who answered a call, as a message names it: AWS, or the local sandbox standing in for it. */
type Who = 'AWS' | 'the sandbox';

/** A message in the words of whoever answered, so sandbox runs never blame AWS. */
type Wording = string | ((who: Who) => string);

function make(kind: CloudErrorKind, site: CallSite, message: Wording, hint?: string): CloudError {
  const say = (who: Who): string => (typeof message === 'string' ? message : message(who));
  return new CloudError(kind, site.action, say('AWS'), {
    ...(site.resource !== undefined ? { resource: site.resource } : {}),
    ...(hint !== undefined ? { hint } : {}),
    ...(typeof message === 'function' ? { sandboxMessage: say('the sandbox') } : {}),
  });
}

/**
 * Turns whatever an SDK call threw into a CloudError that says what the user can do.
 * Errors that are not AWS's (programming errors) are returned unchanged.
 */
export function toCloudError(e: unknown, site: CallSite, notFound?: CloudErrorKind): unknown {
  if (e instanceof CloudError) return e;
  const name = awsErrorName(e);
  const s = shapeOf(e);
  const status = s.$metadata?.httpStatusCode;
  const on = site.resource ? ` on ${site.resource}` : '';
  const detail = s.message ? ` (${s.message})` : '';

  if (DENIED.has(name) || (status === 403 && !BAD_CREDENTIALS.has(name))) {
    // A call can need a permission besides its own (RegisterTaskDefinition needs iam:PassRole for the
    // task's roles); AWS names it as "is not authorized to perform: iam:PassRole on resource: …".
    const needed = /not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(s.message ?? '')?.[1] ?? site.action;
    return make(
      'access-denied',
      site,
      (who) => `${who} denied ${site.action}${on} in ${site.region}: dockhand's IAM role lacks the ${needed} permission.`,
      `Grant ${needed} to dockhand's role (the full list is in src/aws/iam-policy.json).`,
    );
  }
  if (name === 'CredentialsProviderError') {
    // Raised before any request: nothing in the credential chain had credentials to offer.
    return make(
      'access-denied',
      site,
      `dockhand found no AWS credentials to call ${site.action} in ${site.region}${sdkReason(s.message)}.`,
      'Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run dockhand with an IAM role; DOCKHAND_BACKEND=sandbox tries dockhand without AWS.',
    );
  }
  if (BAD_CREDENTIALS.has(name)) {
    return make(
      'access-denied',
      site,
      (who) => `${who} rejected dockhand's credentials for ${site.action} in ${site.region} (${name}).`,
      'Check AWS_PROFILE / AWS_ACCESS_KEY_ID or the role dockhand runs with.',
    );
  }
  if (isThrottling(e)) {
    return make('throttled', site, (who) => `${who} is throttling requests (${site.action} in ${site.region}); try again in a minute.`);
  }
  if (name === 'ClusterNotFoundException') {
    return make('cluster-not-found', site, `No cluster${site.cluster ? ` '${site.cluster}'` : ''} in ${site.region}.`);
  }
  if (name === 'ServiceNotFoundException' || name === 'ServiceNotActiveException') {
    const where = site.cluster ? ` in cluster ${site.cluster} (${site.region})` : ` in ${site.region}`;
    return make('service-not-found', site, `No active service${site.name ? ` '${site.name}'` : ''}${where}.`);
  }
  if (name === 'RepositoryNotFoundException') {
    return make('repository-not-found', site, `No repository${site.name ? ` '${site.name}'` : ''} in ${site.region}.`);
  }
  if (name === 'ImageNotFoundException' || name === 'ScanNotFoundException') {
    return make('image-not-found', site, `No image${site.resource ? ` ${site.resource}` : ''} in ${site.region}.`);
  }
  if (name === 'ResourceNotFoundException') {
    return make(notFound ?? 'log-group-not-found', site, (who) => `${who} found no ${site.resource ?? 'such resource'} in ${site.region}${detail}.`);
  }
  if (
    name === 'ClientException' ||
    name === 'InvalidParameterException' ||
    name === 'InvalidParameterValueException' ||
    name === 'ValidationException' ||
    name === 'PlatformUnknownException' ||
    name === 'UnsupportedFeatureException'
  ) {
    if (notFound && /not found|unable to describe|does not exist/i.test(s.message ?? '')) {
      return make(notFound, site, (who) => `${who} found no ${site.resource ?? 'such resource'} in ${site.region}${detail}.`);
    }
    return make('invalid-request', site, (who) => `${who} refused ${site.action}${on} in ${site.region}${detail}.`);
  }
  if (name === 'SyntaxError' || /Deserialization error/.test(s.message ?? '')) {
    // Something answered that is not AWS (a proxy's login page, a wrong AWS_ENDPOINT_URL).
    return make(
      'unavailable',
      site,
      (who) => `The answer to ${site.action} in ${site.region} was not ${who}'s (it could not be read as AWS JSON).`,
      'A proxy or a wrong AWS_ENDPOINT_URL may be in the way of dockhand and AWS.',
    );
  }
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : '';
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name) || name === 'TimeoutError' || name === 'RequestTimeout') {
    const endpoint = Object.keys(process.env)
      .filter((k) => /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(k) && process.env[k])
      .sort()[0];
    // With an endpoint override, the place that did not answer is that URL, not AWS at large.
    const at = endpoint ? ` at ${process.env[endpoint]} (${endpoint})` : '';
    return make('unavailable', site, (who) => `Could not reach ${who}${at} for ${site.action} in ${site.region} (${code || name}); try again shortly.`);
  }
  if ((status !== undefined && status >= 500) || name === 'ServerException' || name === 'ServiceUnavailableException' || name === 'InternalFailure') {
    return make('unavailable', site, (who) => `${who} failed ${site.action} in ${site.region}${detail}; try again shortly.`);
  }
  if (status !== undefined && status >= 400) {
    return make('invalid-request', site, (who) => `${who} refused ${site.action}${on} in ${site.region}: ${name}${detail}.`);
  }
  return e;
}

/** The SDK's own reason, when it says more than "nothing found" (a missing profile, an expired SSO session). */
function sdkReason(message: string | undefined): string {
  const first = (message ?? '').split('\n')[0]!.trim().replace(/\.$/, '');
  if (!first || /^Could not load credentials from any providers/i.test(first)) return '';
  return ` (${first.length > 160 ? `${first.slice(0, 159)}…` : first})`;
}

/** Runs one SDK call and rethrows its failure as a CloudError. */
export async function call<T>(site: CallSite, fn: () => Promise<T>, notFound?: CloudErrorKind): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toCloudError(e, site, notFound);
  }
}
