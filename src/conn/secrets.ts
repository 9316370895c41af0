// Which of the worker's secrets a task spec may name. A spec is written by whoever starts tasks, and the
// worker holds every tenant's passwords (and runs as whatever user the image gives it): a spec must not be
// able to have the worker read an arbitrary environment variable or file and send it to a server the spec
// chose. So the worker hands out only what its operator set aside for tasks:
//   - environment variables whose names start with PG_DTS_SECRET_ENV_PREFIX (default `PG_DTS_PW_`);
//   - files inside PG_DTS_SECRET_DIR (default `/run/secrets/pg-dts`), judged by their real path, so neither
//     `..` nor a symbolic link leads out of it. This covers passwordFile and the URL's sslcert, sslkey and
//     sslrootcert (a client key is a secret too).
// A refusal is decided from the name alone: it reads nothing, so it never tells whether a variable is set or
// whether a file exists outside the directory.
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/** Default prefix: no system, cloud, Temporal or pg-dts setting variable starts with it. */
export const DEFAULT_SECRET_ENV_PREFIX = 'PG_DTS_PW_';
/** Default directory: pg-dts's own place under the container secrets mount, not the mount itself
 * (/run/secrets also holds e.g. Kubernetes' service account token). */
export const DEFAULT_SECRET_DIR = '/run/secrets/pg-dts';

export interface SecretSettings {
  /** Prefix a passwordEnv name must start with; '' allows no variable at all. */
  envPrefix: string;
  /** Directory secret files must be inside; '' allows no file at all. */
  dir: string;
}

/** The worker's settings (environment), read on each use so a test can set them per process. */
export function secretSettings(env: NodeJS.ProcessEnv = process.env): SecretSettings {
  return {
    envPrefix: env.PG_DTS_SECRET_ENV_PREFIX ?? DEFAULT_SECRET_ENV_PREFIX,
    dir: env.PG_DTS_SECRET_DIR ?? DEFAULT_SECRET_DIR,
  };
}

/** A secret the worker was asked for but cannot hand out: missing, unreadable. The precheck reports it. */
export class SecretError extends Error {
  override name = 'SecretError';
}

/** A secret the worker will never hand out to a spec: refused before any connection is opened. */
export class SecretNotAllowedError extends SecretError {
  override name = 'SecretNotAllowedError';
}

/** Throws SecretNotAllowedError unless `name` is a variable this worker hands out. Reads no variable. */
export function checkSecretEnv(field: string, name: string, settings: SecretSettings = secretSettings()): void {
  const { envPrefix } = settings;
  if (!envPrefix) {
    throw new SecretNotAllowedError(
      `${field}: this worker hands out no environment variable (PG_DTS_SECRET_ENV_PREFIX is empty); ` +
        `use a password file in its secret directory, or ask its operator to set PG_DTS_SECRET_ENV_PREFIX`,
    );
  }
  if (!name.startsWith(envPrefix) || name.length === envPrefix.length) {
    throw new SecretNotAllowedError(
      `${field}: ${name} is not a variable this worker hands out: a spec may name only variables whose names start with ` +
        `${envPrefix} (worker setting PG_DTS_SECRET_ENV_PREFIX); export the password on the worker as e.g. ${envPrefix}${field.split('.')[0]!.toUpperCase()} and name that`,
    );
  }
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The real path of a secret file a spec names (absolute, or relative to the secret directory), or
 * SecretNotAllowedError when it is not inside the directory — decided from the path alone for a path outside
 * it, so the answer never depends on whether such a file exists. A path inside that does not resolve is a
 * SecretError naming the cause (what the directory holds is the operator's business, not a secret).
 */
export function allowedSecretFile(field: string, file: string, settings: SecretSettings = secretSettings()): string {
  const { dir } = settings;
  const notAllowed = (): SecretNotAllowedError =>
    new SecretNotAllowedError(
      dir
        ? `${field}: ${file} is not a file this worker hands out: a spec may name only files inside ${dir} (worker setting PG_DTS_SECRET_DIR), ` +
            `by a path inside it or relative to it; put the file there`
        : `${field}: this worker hands out no file (PG_DTS_SECRET_DIR is empty); use passwordEnv, or ask its operator to set PG_DTS_SECRET_DIR`,
    );
  if (!dir) throw notAllowed();
  const base = resolve(dir);
  const wanted = resolve(base, file);
  let realBase: string;
  try {
    realBase = realpathSync(base);
  } catch {
    // No such directory: nothing is inside it (and saying so tells nothing about the named file).
    throw new SecretNotAllowedError(`${field}: the worker's secret directory ${dir} (PG_DTS_SECRET_DIR) does not exist, so it hands out no file; ask its operator to create it`);
  }
  if (!inside(base, wanted) && !inside(realBase, wanted)) throw notAllowed();
  let real: string;
  try {
    real = realpathSync(wanted);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new SecretError(`${field}: cannot read ${file} in ${dir} on this worker (${code}); check the name and its permissions`);
  }
  if (!inside(realBase, real)) throw notAllowed(); // a link out of the directory
  return real;
}
