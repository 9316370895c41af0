// Was CASCADE or RESTRICT written in a DROP / ALTER statement?
//
// The parse tree cannot tell an explicit RESTRICT from none: RESTRICT is the default and both parse to
// behavior DROP_RESTRICT. CASCADE has no such problem (DROP_CASCADE only comes from the word). For
// RESTRICT, each unquoted RESTRICT keyword token of the statement is taken out and the rest re-parsed: the
// word was a drop behavior exactly when the statement still parses to the same tree. Any other use of the
// word changes the tree or breaks the syntax: `ON DELETE RESTRICT` (a foreign key action), a column or
// table named restrict (`DROP COLUMN restrict` loses its name), while `DROP COLUMN restrict RESTRICT`
// is recognised by its second token. Quoted "restrict" is an identifier token and never considered.
import type { Node } from 'libpg-query';
import { parseStatements, scanTokens, treeShape } from './parser';

function hasCascade(tree: unknown): boolean {
  if (Array.isArray(tree)) return tree.some(hasCascade);
  if (!tree || typeof tree !== 'object') return false;
  return Object.entries(tree).some(([k, v]) => (k === 'behavior' && v === 'DROP_CASCADE') || hasCascade(v));
}

/** 'CASCADE' or 'RESTRICT' when written in `sql` (one statement, parsed to `stmt`), else null. */
export function explicitDropBehavior(sql: string, stmt: Node): 'CASCADE' | 'RESTRICT' | null {
  if (hasCascade(stmt)) return 'CASCADE';
  const shape = treeShape(stmt);
  const bytes = Buffer.from(sql, 'utf8');
  for (const t of scanTokens(sql)) {
    if (t.keywordKind === 0 || t.text.toLowerCase() !== 'restrict') continue;
    const without = Buffer.concat([bytes.subarray(0, t.start), Buffer.from(' '), bytes.subarray(t.end)]).toString('utf8');
    let again;
    try {
      again = parseStatements(without);
    } catch {
      continue; // the word was needed: not a drop behavior
    }
    if (again.length === 1 && treeShape(again[0]!.stmt) === shape) return 'RESTRICT';
  }
  return null;
}
