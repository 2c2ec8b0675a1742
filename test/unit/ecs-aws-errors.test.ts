import { describe, expect, it } from 'vitest';
import { toCloudError } from '../../src/aws/errors.ts';
import { CloudError, isCloudError } from '../../src/ports/container-service.ts';
import { isUserError } from '../../src/core/errors.ts';

/** An error shaped like the SDK's service exceptions. */
function sdkError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

const site = { action: 'ecs:UpdateService', region: 'eu-west-1', resource: 'service web in cluster prod', cluster: 'prod', name: 'web' };

describe('mapping AWS errors to messages a user can act on', () => {
  it('names the denied permission and the resource', () => {
    const e = toCloudError(sdkError('AccessDeniedException', 'User: x is not authorized to perform: ecs:UpdateService'), site);
    expect(isCloudError(e, 'access-denied')).toBe(true);
    expect((e as CloudError).message).toBe(
      "AWS denied ecs:UpdateService on service web in cluster prod in eu-west-1: dockhand's IAM role lacks the ecs:UpdateService permission.",
    );
    expect((e as CloudError).hint).toContain('src/aws/iam-policy.json');
    expect(isUserError(e)).toBe(true);
  });

  it('says no credentials were found (not that AWS rejected them) when the credential chain is empty', () => {
    const err = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const e = toCloudError(err, site) as CloudError;
    expect(e.message).toBe('dockhand found no AWS credentials to call ecs:UpdateService in eu-west-1.');
    expect(e.hint).toContain('AWS_PROFILE');
    expect(e.hint).toContain('DOCKHAND_BACKEND=sandbox');
    const profile = Object.assign(new Error('Profile nope could not be found or parsed in shared credentials file.'), { name: 'CredentialsProviderError' });
    expect((toCloudError(profile, site) as CloudError).message).toBe(
      'dockhand found no AWS credentials to call ecs:UpdateService in eu-west-1 (Profile nope could not be found or parsed in shared credentials file).',
    );
    const rejected = toCloudError(sdkError('UnrecognizedClientException', 'The security token included in the request is invalid.'), site) as CloudError;
    expect(rejected.message).toContain("AWS rejected dockhand's credentials");
  });

  it('says the answer was not AWS when it cannot be read (a proxy page), instead of an internal error', () => {
    const err = Object.assign(new SyntaxError('Unexpected token \'<\', "<html>prox"... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), {
      $metadata: { httpStatusCode: 200 },
    });
    const e = toCloudError(err, site) as CloudError;
    expect(isCloudError(e, 'unavailable')).toBe(true);
    expect(e.message).toBe("The answer to ecs:UpdateService in eu-west-1 was not AWS's (it could not be read as AWS JSON).");
    expect(e.hint).toContain('AWS_ENDPOINT_URL');
  });

  it('says AWS is throttling for every throttling shape', () => {
    for (const err of [sdkError('ThrottlingException', 'Rate exceeded'), sdkError('TooManyRequestsException', 'slow'), sdkError('Whatever', 'x', 429)]) {
      const e = toCloudError(err, site) as CloudError;
      expect(e.kind).toBe('throttled');
      expect(e.message).toBe('AWS is throttling requests (ecs:UpdateService in eu-west-1); try again in a minute.');
    }
  });

  it('names the missing cluster, service, repository and log group', () => {
    expect((toCloudError(sdkError('ClusterNotFoundException', 'Cluster not found.'), site) as CloudError).message).toBe("No cluster 'prod' in eu-west-1.");
    expect((toCloudError(sdkError('ServiceNotFoundException', 'Service not found.'), site) as CloudError).message).toBe("No active service 'web' in cluster prod (eu-west-1).");
    expect((toCloudError(sdkError('RepositoryNotFoundException', 'nope'), { action: 'ecr:DescribeImages', region: 'eu-west-1', name: 'wbe' }) as CloudError).kind).toBe('repository-not-found');
    const logs = toCloudError(sdkError('ResourceNotFoundException', 'The specified log group does not exist.'), { action: 'logs:FilterLogEvents', region: 'eu-west-1', resource: 'log group /ecs/x' }, 'log-group-not-found') as CloudError;
    expect(logs.kind).toBe('log-group-not-found');
    expect(logs.message).toContain('/ecs/x');
  });

  it('tells bad credentials apart from a missing permission', () => {
    const e = toCloudError(sdkError('UnrecognizedClientException', 'The security token included in the request is invalid.'), site) as CloudError;
    expect(e.kind).toBe('access-denied');
    expect(e.message).toContain("AWS rejected dockhand's credentials");
  });

  it('reports server errors and unreachable endpoints as unavailable', () => {
    expect((toCloudError(sdkError('ServerException', 'boom', 500), site) as CloudError).kind).toBe('unavailable');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect((toCloudError(refused, site) as CloudError).message).toContain('Could not reach AWS for ecs:UpdateService');
  });

  it('leaves programming errors alone so they surface as internal errors', () => {
    const bug = new TypeError('x is undefined');
    expect(toCloudError(bug, site)).toBe(bug);
  });
});
