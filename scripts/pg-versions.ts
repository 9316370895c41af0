// `npm run pg-versions -- 11 12 …` (or `all`): installs PostgreSQL majors for the version matrix.
import { CLUSTER_VERSIONS, installVersion, isClusterVersion, type ClusterVersion } from '../src/pgcluster/versions';

const args = process.argv.slice(2);
const wanted: ClusterVersion[] = args.includes('all') ? CLUSTER_VERSIONS : args.map(Number).filter((v): v is ClusterVersion => isClusterVersion(v));
const bad = args.filter((a) => a !== 'all' && !isClusterVersion(Number(a)));
if (bad.length || !wanted.length) {
  console.error(`usage: npm run pg-versions -- <${CLUSTER_VERSIONS.join('|')}|all>...${bad.length ? `\nunknown major: ${bad.join(', ')}` : ''}`);
  process.exit(2);
}
for (const v of wanted) console.log(`PostgreSQL ${v}: ${installVersion(v)}`);
