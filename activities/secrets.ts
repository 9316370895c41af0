// The worker's secret rules (src/conn/secrets.ts) as the task meets them: before any connection.
import { ApplicationFailure } from '@temporalio/common';
import { checkEndpointSecrets, SecretNotAllowedError } from '../src/conn/endpoint';
import type { TaskSpec } from '../src/spec/schema';

/**
 * A spec naming a variable or file this worker does not hand out fails the task for good, before any
 * connection to either side is opened: the precheck calls this first. Reads no variable, and no file outside
 * the secret directory, so the failure never tells whether the named variable or file exists.
 */
export function refuseSecretsNotAllowed(spec: TaskSpec): void {
  try {
    checkEndpointSecrets('source', spec.source);
    checkEndpointSecrets('destination', spec.destination);
  } catch (err) {
    if (err instanceof SecretNotAllowedError) {
      throw ApplicationFailure.create({ type: 'SecretNotAllowed', nonRetryable: true, message: err.message });
    }
    throw err;
  }
}
