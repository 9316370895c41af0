// The command tag PostgreSQL reports for a raw statement (tcop/utility.c CreateCommandTag): what an event
// trigger sees in TG_TAG, so a captured DDL command can be matched to its statement in the query string.
import type { Node } from 'libpg-query';
import { nodeBody, nodeType } from './parser';

/** ObjectType -> the words naming it in ALTER/DROP tags (AlterObjectTypeCommandTag and the DROP cases). */
const OBJECT_WORDS: Record<string, string> = {
  OBJECT_ACCESS_METHOD: 'ACCESS METHOD',
  OBJECT_AGGREGATE: 'AGGREGATE',
  OBJECT_ATTRIBUTE: 'TYPE',
  OBJECT_CAST: 'CAST',
  OBJECT_COLLATION: 'COLLATION',
  OBJECT_COLUMN: 'TABLE',
  OBJECT_CONVERSION: 'CONVERSION',
  OBJECT_DATABASE: 'DATABASE',
  OBJECT_DOMAIN: 'DOMAIN',
  OBJECT_DOMCONSTRAINT: 'DOMAIN',
  OBJECT_EVENT_TRIGGER: 'EVENT TRIGGER',
  OBJECT_EXTENSION: 'EXTENSION',
  OBJECT_FDW: 'FOREIGN DATA WRAPPER',
  OBJECT_FOREIGN_SERVER: 'SERVER',
  OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
  OBJECT_FUNCTION: 'FUNCTION',
  OBJECT_INDEX: 'INDEX',
  OBJECT_LANGUAGE: 'LANGUAGE',
  OBJECT_LARGEOBJECT: 'LARGE OBJECT',
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_OPCLASS: 'OPERATOR CLASS',
  OBJECT_OPERATOR: 'OPERATOR',
  OBJECT_OPFAMILY: 'OPERATOR FAMILY',
  OBJECT_POLICY: 'POLICY',
  OBJECT_PROCEDURE: 'PROCEDURE',
  OBJECT_PUBLICATION: 'PUBLICATION',
  OBJECT_ROLE: 'ROLE',
  OBJECT_ROUTINE: 'ROUTINE',
  OBJECT_RULE: 'RULE',
  OBJECT_SCHEMA: 'SCHEMA',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_STATISTIC_EXT: 'STATISTICS',
  OBJECT_SUBSCRIPTION: 'SUBSCRIPTION',
  OBJECT_TABCONSTRAINT: 'TABLE',
  OBJECT_TABLE: 'TABLE',
  OBJECT_TABLESPACE: 'TABLESPACE',
  OBJECT_TRANSFORM: 'TRANSFORM',
  OBJECT_TRIGGER: 'TRIGGER',
  OBJECT_TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION',
  OBJECT_TSDICTIONARY: 'TEXT SEARCH DICTIONARY',
  OBJECT_TSPARSER: 'TEXT SEARCH PARSER',
  OBJECT_TSTEMPLATE: 'TEXT SEARCH TEMPLATE',
  OBJECT_TYPE: 'TYPE',
  OBJECT_USER_MAPPING: 'USER MAPPING',
  OBJECT_VIEW: 'VIEW',
};

const words = (objectType: unknown): string => OBJECT_WORDS[String(objectType)] ?? '???';

/** Statements whose tag does not depend on their content. */
const FIXED: Record<string, string> = {
  InsertStmt: 'INSERT', UpdateStmt: 'UPDATE', DeleteStmt: 'DELETE', MergeStmt: 'MERGE', PLAssignStmt: 'SELECT',
  CreateSchemaStmt: 'CREATE SCHEMA', CreateStmt: 'CREATE TABLE', CreateForeignTableStmt: 'CREATE FOREIGN TABLE',
  CreateDomainStmt: 'CREATE DOMAIN', AlterDomainStmt: 'ALTER DOMAIN', CreateExtensionStmt: 'CREATE EXTENSION',
  AlterExtensionStmt: 'ALTER EXTENSION', AlterExtensionContentsStmt: 'ALTER EXTENSION',
  CreateFdwStmt: 'CREATE FOREIGN DATA WRAPPER', AlterFdwStmt: 'ALTER FOREIGN DATA WRAPPER',
  CreateForeignServerStmt: 'CREATE SERVER', AlterForeignServerStmt: 'ALTER SERVER',
  CreateUserMappingStmt: 'CREATE USER MAPPING', AlterUserMappingStmt: 'ALTER USER MAPPING',
  DropUserMappingStmt: 'DROP USER MAPPING', ImportForeignSchemaStmt: 'IMPORT FOREIGN SCHEMA',
  CreateTableSpaceStmt: 'CREATE TABLESPACE', DropTableSpaceStmt: 'DROP TABLESPACE',
  AlterTableSpaceOptionsStmt: 'ALTER TABLESPACE', TruncateStmt: 'TRUNCATE TABLE', CommentStmt: 'COMMENT',
  SecLabelStmt: 'SECURITY LABEL', CopyStmt: 'COPY', AlterDefaultPrivilegesStmt: 'ALTER DEFAULT PRIVILEGES',
  CompositeTypeStmt: 'CREATE TYPE', CreateEnumStmt: 'CREATE TYPE', CreateRangeStmt: 'CREATE TYPE',
  AlterEnumStmt: 'ALTER TYPE', AlterTypeStmt: 'ALTER TYPE', ViewStmt: 'CREATE VIEW', IndexStmt: 'CREATE INDEX',
  RuleStmt: 'CREATE RULE', CreateSeqStmt: 'CREATE SEQUENCE', AlterSeqStmt: 'ALTER SEQUENCE', DoStmt: 'DO',
  CreatedbStmt: 'CREATE DATABASE', AlterDatabaseStmt: 'ALTER DATABASE', AlterDatabaseSetStmt: 'ALTER DATABASE',
  AlterDatabaseRefreshCollStmt: 'ALTER DATABASE', DropdbStmt: 'DROP DATABASE', NotifyStmt: 'NOTIFY',
  ListenStmt: 'LISTEN', UnlistenStmt: 'UNLISTEN', LoadStmt: 'LOAD', CallStmt: 'CALL', ClusterStmt: 'CLUSTER',
  ExplainStmt: 'EXPLAIN', RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW', AlterSystemStmt: 'ALTER SYSTEM',
  VariableShowStmt: 'SHOW', CreateTrigStmt: 'CREATE TRIGGER', CreateEventTrigStmt: 'CREATE EVENT TRIGGER',
  AlterEventTrigStmt: 'ALTER EVENT TRIGGER', CreatePLangStmt: 'CREATE LANGUAGE', CreateRoleStmt: 'CREATE ROLE',
  AlterRoleStmt: 'ALTER ROLE', AlterRoleSetStmt: 'ALTER ROLE', DropRoleStmt: 'DROP ROLE', DropOwnedStmt: 'DROP OWNED',
  ReassignOwnedStmt: 'REASSIGN OWNED', LockStmt: 'LOCK TABLE', ConstraintsSetStmt: 'SET CONSTRAINTS',
  CheckPointStmt: 'CHECKPOINT', ReindexStmt: 'REINDEX', CreateConversionStmt: 'CREATE CONVERSION',
  CreateCastStmt: 'CREATE CAST', CreateOpClassStmt: 'CREATE OPERATOR CLASS', CreateOpFamilyStmt: 'CREATE OPERATOR FAMILY',
  AlterOpFamilyStmt: 'ALTER OPERATOR FAMILY', AlterOperatorStmt: 'ALTER OPERATOR',
  AlterTSDictionaryStmt: 'ALTER TEXT SEARCH DICTIONARY', AlterTSConfigurationStmt: 'ALTER TEXT SEARCH CONFIGURATION',
  CreatePolicyStmt: 'CREATE POLICY', AlterPolicyStmt: 'ALTER POLICY', CreateAmStmt: 'CREATE ACCESS METHOD',
  CreatePublicationStmt: 'CREATE PUBLICATION', AlterPublicationStmt: 'ALTER PUBLICATION',
  CreateSubscriptionStmt: 'CREATE SUBSCRIPTION', AlterSubscriptionStmt: 'ALTER SUBSCRIPTION',
  DropSubscriptionStmt: 'DROP SUBSCRIPTION', AlterCollationStmt: 'ALTER COLLATION', PrepareStmt: 'PREPARE',
  ExecuteStmt: 'EXECUTE', CreateStatsStmt: 'CREATE STATISTICS', AlterStatsStmt: 'ALTER STATISTICS',
  CreateTransformStmt: 'CREATE TRANSFORM', DeclareCursorStmt: 'DECLARE CURSOR',
};

const TRANSACTION: Record<string, string> = {
  TRANS_STMT_BEGIN: 'BEGIN', TRANS_STMT_START: 'START TRANSACTION', TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK', TRANS_STMT_SAVEPOINT: 'SAVEPOINT', TRANS_STMT_RELEASE: 'RELEASE',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK', TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED', TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

const DEFINE: Record<string, string> = {
  OBJECT_AGGREGATE: 'CREATE AGGREGATE', OBJECT_OPERATOR: 'CREATE OPERATOR', OBJECT_TYPE: 'CREATE TYPE',
  OBJECT_TSPARSER: 'CREATE TEXT SEARCH PARSER', OBJECT_TSDICTIONARY: 'CREATE TEXT SEARCH DICTIONARY',
  OBJECT_TSTEMPLATE: 'CREATE TEXT SEARCH TEMPLATE', OBJECT_TSCONFIGURATION: 'CREATE TEXT SEARCH CONFIGURATION',
  OBJECT_COLLATION: 'CREATE COLLATION', OBJECT_ACCESS_METHOD: 'CREATE ACCESS METHOD',
};

/**
 * The tag of one raw statement, e.g. 'CREATE TABLE', 'ALTER TABLE', 'DROP TABLE', 'DO', 'SELECT'.
 * One deliberate difference from CreateCommandTag on a raw tree: `SELECT ... INTO t` is 'SELECT INTO',
 * the tag its event trigger fires with (the server turns it into CREATE TABLE AS before running it).
 */
export function commandTag(node: Node): string {
  const type = nodeType(node);
  const fixed = FIXED[type];
  if (fixed) return fixed;
  const b = nodeBody<Record<string, unknown>>(node);
  switch (type) {
    case 'SelectStmt':
      return b.intoClause ? 'SELECT INTO' : 'SELECT';
    case 'CreateTableAsStmt':
      if (b.objtype === 'OBJECT_MATVIEW') return 'CREATE MATERIALIZED VIEW';
      return b.is_select_into ? 'SELECT INTO' : 'CREATE TABLE AS';
    case 'DropStmt':
      return `DROP ${words(b.removeType)}`;
    case 'RenameStmt':
      // A column rename is tagged by its relation's kind (ALTER TABLE, ALTER VIEW, ...).
      return `ALTER ${words(b.renameType === 'OBJECT_COLUMN' ? b.relationType : b.renameType)}`;
    case 'AlterTableStmt':
    case 'AlterTableMoveAllStmt':
      return `ALTER ${words(b.objtype)}`;
    case 'AlterObjectSchemaStmt':
    case 'AlterOwnerStmt':
    case 'AlterObjectDependsStmt':
      return `ALTER ${words(b.objectType)}`;
    case 'AlterFunctionStmt':
      return `ALTER ${words(b.objtype)}`;
    case 'CreateFunctionStmt':
      return b.is_procedure ? 'CREATE PROCEDURE' : 'CREATE FUNCTION';
    case 'DefineStmt':
      return DEFINE[String(b.kind)] ?? '???';
    case 'GrantStmt':
    case 'GrantRoleStmt':
      return b.is_grant ? 'GRANT' : 'REVOKE';
    case 'TransactionStmt':
      return TRANSACTION[String(b.kind)] ?? '???';
    case 'VariableSetStmt':
      return b.kind === 'VAR_RESET' || b.kind === 'VAR_RESET_ALL' ? 'RESET' : 'SET';
    case 'DiscardStmt':
      return { DISCARD_ALL: 'DISCARD ALL', DISCARD_PLANS: 'DISCARD PLANS', DISCARD_TEMP: 'DISCARD TEMP', DISCARD_SEQUENCES: 'DISCARD SEQUENCES' }[String(b.target)] ?? '???';
    case 'ClosePortalStmt':
      return b.portalname ? 'CLOSE CURSOR' : 'CLOSE CURSOR ALL';
    case 'FetchStmt':
      return b.ismove ? 'MOVE' : 'FETCH';
    case 'DeallocateStmt':
      return b.isall || !b.name ? 'DEALLOCATE ALL' : 'DEALLOCATE';
    case 'VacuumStmt':
      return b.is_vacuumcmd ? 'VACUUM' : 'ANALYZE';
    default:
      return '???';
  }
}
