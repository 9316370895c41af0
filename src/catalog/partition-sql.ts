// pg_partition_tree() and pg_partition_root() exist from PostgreSQL 12 on. These SQL fragments compute
// the same over pg_inherits, on every supported source (11 and later), so one query serves every version
// and the version matrix (test/versions/) exercises the one code path. Aliases are prefixed: the
// caller's expression may name its own aliases (`c.oid`), which a plain `c` here would shadow.

/**
 * A relation (use in FROM or LATERAL) with pg_partition_tree(rel)'s columns — relid, parentrelid, level,
 * isleaf — for the regclass/oid expression `rel`: the relation and everything partitioned below it; no row
 * when it is neither partitioned nor a partition (as pg_partition_tree), or NULL.
 */
export function partitionTreeSql(rel: string): string {
  return `(WITH RECURSIVE pt_tree(relid, parentrelid, level) AS (
      SELECT pt_c.oid, (SELECT pt_i.inhparent FROM pg_catalog.pg_inherits pt_i WHERE pt_i.inhrelid = pt_c.oid AND pt_c.relispartition), 0
        FROM pg_catalog.pg_class pt_c WHERE pt_c.oid = (${rel})::oid AND (pt_c.relkind IN ('p', 'I') OR pt_c.relispartition)
      UNION ALL
      SELECT pt_i.inhrelid, pt_i.inhparent, pt_tree.level + 1 FROM pg_catalog.pg_inherits pt_i JOIN pt_tree ON pt_i.inhparent = pt_tree.relid)
    SELECT pt_tree.relid::regclass AS relid, pt_tree.parentrelid::regclass AS parentrelid, pt_tree.level,
           pt_k.relkind NOT IN ('p', 'I') AS isleaf
      FROM pt_tree JOIN pg_catalog.pg_class pt_k ON pt_k.oid = pt_tree.relid)`;
}

/** A scalar: pg_partition_root(rel) — the top of the partition tree `rel` is in; NULL when not in one. */
export function partitionRootSql(rel: string): string {
  return `(WITH RECURSIVE pt_up(relid, depth) AS (
      SELECT pt_c.oid, 0 FROM pg_catalog.pg_class pt_c WHERE pt_c.oid = (${rel})::oid AND (pt_c.relkind IN ('p', 'I') OR pt_c.relispartition)
      UNION ALL
      SELECT pt_i.inhparent, pt_up.depth + 1 FROM pg_catalog.pg_inherits pt_i JOIN pt_up ON pt_i.inhrelid = pt_up.relid
        JOIN pg_catalog.pg_class pt_k ON pt_k.oid = pt_up.relid AND pt_k.relispartition)
    SELECT relid::regclass FROM pt_up ORDER BY depth DESC LIMIT 1)`;
}
