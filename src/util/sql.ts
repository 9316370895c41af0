// Identifier quoting. Schema and table are quoted separately (a dot inside a name must stay a dot).
import { escapeIdentifier, escapeLiteral } from 'pg';
import type { TableRef } from '../catalog/names';

export const ident = (name: string): string => escapeIdentifier(name);
export const literal = (value: string): string => escapeLiteral(value);
export const qualified = (t: TableRef): string => `${ident(t.schema)}.${ident(t.name)}`;
export const identList = (names: readonly string[]): string => names.map(ident).join(', ');
