// Which worker secrets a spec may name (issue 14, item 5): variables with the configured prefix, files inside
// the configured directory by their real path; a refusal never depends on whether the named thing exists.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkEndpointSecrets, clientConfig } from '../../src/conn/endpoint';
import { allowedSecretFile, checkSecretEnv, DEFAULT_SECRET_DIR, DEFAULT_SECRET_ENV_PREFIX, SecretError, SecretNotAllowedError, secretSettings } from '../../src/conn/secrets';

const root = mkdtempSync(join(tmpdir(), 'pg-dts-secrets-'));
const dir = join(root, 'secrets');
mkdirSync(dir);
writeFileSync(join(dir, 'src'), 'pw-in-dir\n');
writeFileSync(join(root, 'outside'), 'not-for-specs');
symlinkSync(join(root, 'outside'), join(dir, 'link-out'));
symlinkSync(join(dir, 'src'), join(dir, 'link-in'));
const settings = { envPrefix: 'PG_DTS_PW_', dir };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SecretNotAllowedError, `${String(err)}`);
    return err.message;
  }
  assert.fail('expected a refusal');
}

describe('worker secrets a spec may name', () => {
  it('defaults to variables starting with PG_DTS_PW_ and files inside /run/secrets/pg-dts', () => {
    assert.deepEqual(secretSettings({}), { envPrefix: DEFAULT_SECRET_ENV_PREFIX, dir: DEFAULT_SECRET_DIR });
    assert.deepEqual([DEFAULT_SECRET_ENV_PREFIX, DEFAULT_SECRET_DIR], ['PG_DTS_PW_', '/run/secrets/pg-dts']);
    assert.deepEqual(secretSettings({ PG_DTS_SECRET_ENV_PREFIX: 'TENANT_A_', PG_DTS_SECRET_DIR: '/s' }), { envPrefix: 'TENANT_A_', dir: '/s' });
  });

  it('hands out only variables with the prefix, deciding from the name alone', () => {
    assert.doesNotThrow(() => checkSecretEnv('source.passwordEnv', 'PG_DTS_PW_SRC', settings));
    for (const name of ['HOME', 'PGPASSWORD', 'AWS_SECRET_ACCESS_KEY', 'PG_DTS_PW_', 'PG_DTS_SECRET_DIR', 'pg_dts_pw_src']) {
      const m = refusal(() => checkSecretEnv('source.passwordEnv', name, settings));
      assert.match(m, new RegExp(`^source\\.passwordEnv: ${name} is not a variable this worker hands out: .*start with PG_DTS_PW_ \\(worker setting PG_DTS_SECRET_ENV_PREFIX\\); export the password on the worker as e\\.g\\. PG_DTS_PW_SOURCE`));
    }
    assert.match(refusal(() => checkSecretEnv('source.passwordEnv', 'PG_DTS_PW_SRC', { ...settings, envPrefix: '' })), /hands out no environment variable/);
  });

  it('hands out files inside the directory by their real path, never through ".." or a link out', () => {
    assert.equal(allowedSecretFile('f', join(dir, 'src'), settings), join(dir, 'src'));
    assert.equal(allowedSecretFile('f', 'src', settings), join(dir, 'src')); // relative to the directory
    assert.equal(allowedSecretFile('f', join(dir, 'link-in'), settings), join(dir, 'src'));
    for (const file of [join(dir, '..', 'outside'), '../outside', join(dir, 'link-out'), '/etc/passwd', dir, join(root, 'secrets-x', 'a')]) {
      assert.match(refusal(() => allowedSecretFile('destination.passwordFile', file, settings)),
        /^destination\.passwordFile: .* is not a file this worker hands out: a spec may name only files inside .* \(worker setting PG_DTS_SECRET_DIR\)/);
    }
    assert.match(refusal(() => allowedSecretFile('f', 'src', { ...settings, dir: '' })), /hands out no file/);
    assert.match(refusal(() => allowedSecretFile('f', 'src', { ...settings, dir: join(root, 'none') })), /does not exist/);
  });

  it('words a refusal the same whether or not the file exists, and says why it cannot read one it may', () => {
    const message = (file: string) => refusal(() => allowedSecretFile('f', file, settings)).replace(file, 'FILE');
    assert.equal(message(join(root, 'outside')), message(join(root, 'no-such-file')));
    assert.equal(message('/etc/hostname'), message('/etc/no-such-file'));
    assert.throws(() => allowedSecretFile('f', 'missing', settings), (err: Error) => err instanceof SecretError && !(err instanceof SecretNotAllowedError) && /ENOENT/.test(err.message));
  });

  it('checks a whole endpoint — password variable, password file, certificate and key files — before anything is read', () => {
    const env = { ...process.env };
    process.env.PG_DTS_SECRET_DIR = dir;
    try {
      const ep = (extra: object) => ({ url: 'postgresql://u@127.0.0.1:1/db', ...extra });
      assert.doesNotThrow(() => checkEndpointSecrets('source', ep({ passwordEnv: 'PG_DTS_PW_UNSET_IS_FINE_HERE' })));
      assert.match(refusal(() => checkEndpointSecrets('source', ep({ passwordEnv: 'HOME' }))), /^source\.passwordEnv: HOME is not/);
      assert.match(refusal(() => checkEndpointSecrets('source', ep({ passwordFile: '/etc/hostname' }))), /^source\.passwordFile: /);
      assert.match(refusal(() => checkEndpointSecrets('source', { url: 'postgresql://u@h/db?sslkey=/etc/ssl/private/k.pem' })), /^source\.url sslkey: .* is not a file this worker hands out/);
      assert.match(refusal(() => clientConfig('source', { url: 'postgresql://u@h/db?sslcert=/etc/hostname' }, 'app')), /^source\.url sslcert: /);
      assert.match(refusal(() => clientConfig('source', { url: 'postgresql://u@h/db?sslpassword=x' }, 'app')), /^source\.url: contains a password/);
      // allowed files are read by the driver from their checked real path
      const config = clientConfig('source', { url: 'postgresql://u@h/db?sslrootcert=link-in', passwordFile: 'src' }, 'app');
      assert.equal(config.password, 'pw-in-dir');
      assert.equal((config.ssl as { ca: string }).ca, 'pw-in-dir\n');
      // no password named: never PGPASSWORD (pg would send it to whatever server the spec names)
      process.env.PGPASSWORD = 'from-the-environment';
      assert.equal(typeof clientConfig('source', { url: 'postgresql://u@h/db' }, 'app').password, 'function');
    } finally {
      process.env = env;
    }
  });
});
