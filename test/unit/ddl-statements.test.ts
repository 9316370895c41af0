// Captured query strings -> statements with PostgreSQL's command tags, and the statement that fired a DDL
// event trigger (or the verdict that the DDL ran inside a DO block, function or procedure).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadDdlParser } from '../../src/ddl/parser';
import { DdlParseError, findFiredStatement, splitStatements } from '../../src/ddl/statements';

const tags = (query: string): string[] => splitStatements(query).map((s) => s.tag);

describe('splitStatements', () => {
  before(() => loadDdlParser());

  it('splits a multi-statement query into each statement\'s text and tag', () => {
    const stmts = splitStatements('CREATE TABLE a(); INSERT INTO a DEFAULT VALUES;\n  ALTER TABLE a ADD c int;');
    assert.deepEqual(
      stmts.map((s) => [s.sql, s.tag]),
      [
        ['CREATE TABLE a()', 'CREATE TABLE'],
        ['INSERT INTO a DEFAULT VALUES', 'INSERT'],
        ['ALTER TABLE a ADD c int', 'ALTER TABLE'],
      ],
    );
    assert.ok('CreateStmt' in (stmts[0]!.node as object));
  });

  it('uses byte offsets correctly around multi-byte names and keeps semicolons inside literals and dollar quotes', () => {
    const stmts = splitStatements(`CREATE TABLE "héllo" ("ü" text DEFAULT 'a;b'); DO $$ BEGIN PERFORM 1; END $$; ALTER TABLE "héllo" ADD "€" int`);
    assert.deepEqual(stmts.map((s) => s.sql), [`CREATE TABLE "héllo" ("ü" text DEFAULT 'a;b')`, 'DO $$ BEGIN PERFORM 1; END $$', `ALTER TABLE "héllo" ADD "€" int`]);
  });

  it('ignores empty statements, comments and a missing final semicolon', () => {
    const stmts = splitStatements(';; -- leading comment\nDROP TABLE a /* why */ ;;\nTRUNCATE b');
    assert.deepEqual(stmts.map((s) => s.tag), ['DROP TABLE', 'TRUNCATE TABLE']);
    assert.equal(stmts[1]!.sql, 'TRUNCATE b');
  });

  it('reports the command tags an event trigger sees', () => {
    assert.deepEqual(tags('CREATE TABLE t (a int); CREATE TABLE t2 AS SELECT 1; SELECT 1 INTO t3; CREATE UNLOGGED TABLE u (); CREATE FOREIGN TABLE f () SERVER s'), [
      'CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE TABLE', 'CREATE FOREIGN TABLE',
    ]);
    assert.deepEqual(tags('ALTER TABLE t ADD b int; ALTER TABLE t RENAME TO u; ALTER TABLE t RENAME b TO c; ALTER TABLE t RENAME CONSTRAINT x TO y; ALTER TABLE t SET SCHEMA s; ALTER TABLE t OWNER TO r'), [
      'ALTER TABLE', 'ALTER TABLE', 'ALTER TABLE', 'ALTER TABLE', 'ALTER TABLE', 'ALTER TABLE',
    ]);
    assert.deepEqual(tags('ALTER INDEX i RENAME TO j; ALTER VIEW v RENAME COLUMN a TO b; ALTER SEQUENCE s RESTART; ALTER MATERIALIZED VIEW m RENAME TO n; ALTER TYPE ty RENAME ATTRIBUTE a TO b'), [
      'ALTER INDEX', 'ALTER VIEW', 'ALTER SEQUENCE', 'ALTER MATERIALIZED VIEW', 'ALTER TYPE',
    ]);
    assert.deepEqual(tags('DROP TABLE t; DROP INDEX CONCURRENTLY i; DROP VIEW v; DROP SCHEMA s CASCADE; DROP FUNCTION f(); DROP TYPE ty; DROP SERVER s'), [
      'DROP TABLE', 'DROP INDEX', 'DROP VIEW', 'DROP SCHEMA', 'DROP FUNCTION', 'DROP TYPE', 'DROP SERVER',
    ]);
    assert.deepEqual(tags('CREATE INDEX CONCURRENTLY ON t (a); CREATE UNIQUE INDEX i ON t (a); TRUNCATE t; DO $$ BEGIN END $$; SELECT f(); CALL p(); CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$'), [
      'CREATE INDEX', 'CREATE INDEX', 'TRUNCATE TABLE', 'DO', 'SELECT', 'CALL', 'CREATE FUNCTION', 'CREATE PROCEDURE',
    ]);
    assert.deepEqual(tags('BEGIN; SAVEPOINT s; ROLLBACK TO s; COMMIT; SET search_path = a; RESET ALL; GRANT SELECT ON t TO r; REVOKE SELECT ON t FROM r; COMMENT ON TABLE t IS $$x$$; CREATE TYPE e AS ENUM (); CREATE SCHEMA s; EXPLAIN SELECT 1'), [
      'BEGIN', 'SAVEPOINT', 'ROLLBACK', 'COMMIT', 'SET', 'RESET', 'GRANT', 'REVOKE', 'COMMENT', 'CREATE TYPE', 'CREATE SCHEMA', 'EXPLAIN',
    ]);
  });

  it('throws a DdlParseError naming the problem for text that is not SQL', () => {
    assert.throws(() => splitStatements('CREATE TABEL t ()'), (e: unknown) => e instanceof DdlParseError && /syntax error at or near "TABEL"/.test(e.message));
  });
});

describe('findFiredStatement', () => {
  before(() => loadDdlParser());

  const query = 'CREATE TABLE a (id int); INSERT INTO a VALUES (1); ALTER TABLE a ADD c int; CREATE TABLE b (); ALTER TABLE a ADD d int';

  it('picks the ordinal-th statement with the fired tag (0-based, counted per tag)', () => {
    const at = (tag: string, ordinal: number) => {
      const f = findFiredStatement(query, { tag, ordinal });
      assert.equal(f.kind, 'statement', JSON.stringify(f));
      return f.kind === 'statement' ? [f.statement.sql, f.index] : null;
    };
    assert.deepEqual(at('CREATE TABLE', 0), ['CREATE TABLE a (id int)', 0]);
    assert.deepEqual(at('CREATE TABLE', 1), ['CREATE TABLE b ()', 3]);
    assert.deepEqual(at('ALTER TABLE', 0), ['ALTER TABLE a ADD c int', 2]);
    assert.deepEqual(at('ALTER TABLE', 1), ['ALTER TABLE a ADD d int', 4]);
  });

  it('says in-function when no top-level statement has the tag: DO block, SELECT f(), CALL p()', () => {
    for (const q of [
      'DO $$ BEGIN EXECUTE $x$CREATE TABLE t ()$x$; END $$',
      'SELECT make_tables()',
      'CALL migrate()',
      'INSERT INTO queue SELECT 1 FROM run_ddl()',
    ]) {
      const f = findFiredStatement(q, { tag: 'CREATE TABLE', ordinal: 0 });
      assert.equal(f.kind, 'in-function', q);
      assert.match((f as { detail: string }).detail, /CREATE TABLE ran inside a function, procedure or DO block.*no top-level CREATE TABLE statement/);
    }
  });

  it('says in-function when the query has fewer top-level statements of the tag than the ordinal needs', () => {
    const f = findFiredStatement('CREATE TABLE a (); SELECT make_more_tables()', { tag: 'CREATE TABLE', ordinal: 1 });
    assert.equal(f.kind, 'in-function');
    assert.match((f as { detail: string }).detail, /1 top-level CREATE TABLE statement\(s\), this is number 2.*top-level statements: CREATE TABLE, SELECT/);
  });

  it('trusts the capture when it knows the command was nested', () => {
    const f = findFiredStatement('SELECT make_table(); CREATE TABLE a ()', { tag: 'CREATE TABLE', ordinal: 0, nested: true });
    assert.equal(f.kind, 'in-function');
    const top = findFiredStatement('SELECT make_table(); CREATE TABLE a ()', { tag: 'CREATE TABLE', ordinal: 0, nested: false });
    assert.equal(top.kind === 'statement' && top.statement.sql, 'CREATE TABLE a ()');
  });

  it('reports an unparsable query instead of throwing', () => {
    const f = findFiredStatement('ALTER TABLE t ADD COLUMN', { tag: 'ALTER TABLE', ordinal: 0 });
    assert.equal(f.kind, 'unparsable');
    assert.match((f as { detail: string }).detail, /cannot parse the captured query: syntax error at end of input/);
  });
});
