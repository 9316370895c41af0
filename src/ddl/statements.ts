// A captured query string -> its statements, and the one that fired a DDL event trigger.
//
// An event trigger sees current_query(): the whole string the client sent, which may hold several
// statements (`CREATE TABLE a(); INSERT ...; ALTER TABLE a ...`), or a DO block / function call whose body
// ran the DDL. The parser splits the string (stmt_location/stmt_len are byte offsets); each statement
// gets the command tag PostgreSQL gives it, which is what the trigger reports in TG_TAG.
import type { Node } from 'libpg-query';
import { commandTag } from './command-tag';
import { byteSlice, parseStatements } from './parser';

export interface Statement {
  /** The statement's own text (no trailing semicolon, surrounding whitespace trimmed). */
  sql: string;
  /** PostgreSQL's command tag, e.g. 'CREATE TABLE', 'ALTER TABLE', 'DO', 'SELECT', 'CALL'. */
  tag: string;
  /** The raw parse tree of the statement. */
  node: Node;
}

/** The query string is not valid SQL for the parser (PostgreSQL 18 grammar). */
export class DdlParseError extends Error {}

/** Splits a query string into its statements. Throws DdlParseError when it does not parse. */
export function splitStatements(query: string): Statement[] {
  let raw;
  try {
    raw = parseStatements(query);
  } catch (err) {
    throw new DdlParseError(`cannot parse the captured query: ${(err as Error).message}`);
  }
  const bytes = Buffer.from(query, 'utf8');
  return raw.map((r) => {
    const start = r.stmt_location ?? 0;
    // The parser omits a zero stmt_len: the statement runs to the end of the string.
    const end = r.stmt_len ? start + r.stmt_len : bytes.length;
    return { sql: byteSlice(bytes, start, end).trim(), tag: commandTag(r.stmt!), node: r.stmt! };
  });
}

export interface Firing {
  /** TG_TAG of the event trigger. */
  tag: string;
  /** 0-based: how many earlier top-level commands of the same query string fired with the same tag. */
  ordinal: number;
  /**
   * True when the capture knows the command ran below the top level (a DO block, function, procedure or
   * trigger body; e.g. the event trigger's PG_CONTEXT has more than its own frame). Without it, a nested
   * command can only be recognised when the query has no (or too few) top-level statements with its tag.
   */
  nested?: boolean;
}

export type FiredStatement =
  | { kind: 'statement'; statement: Statement; /** position among all statements of the query */ index: number }
  | { kind: 'in-function'; detail: string }
  | { kind: 'unparsable'; detail: string };

/** The statement of `query` that fired the event trigger, or why there is none to replicate. */
export function findFiredStatement(query: string, firing: Firing): FiredStatement {
  let statements: Statement[];
  try {
    statements = splitStatements(query);
  } catch (err) {
    return { kind: 'unparsable', detail: (err as Error).message };
  }
  const topLevel = [...new Set(statements.map((s) => s.tag))].join(', ') || 'none';
  const inFunction = (why: string): FiredStatement => ({
    kind: 'in-function',
    detail: `${firing.tag} ran inside a function, procedure or DO block (${why}; top-level statements: ${topLevel}): its text is not replicated, run the DDL on the destination yourself`,
  });
  if (firing.nested) return inFunction('the capture saw it below the top level');
  const same = statements.map((s, index) => ({ s, index })).filter((x) => x.s.tag === firing.tag);
  if (!same.length) return inFunction(`the query has no top-level ${firing.tag} statement`);
  const hit = same[firing.ordinal];
  if (!hit) return inFunction(`the query has ${same.length} top-level ${firing.tag} statement(s), this is number ${firing.ordinal + 1}`);
  return { kind: 'statement', statement: hit.s, index: hit.index };
}
