// Which retry window a failure falls in (src/retry/classify.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyFailure } from '../../src/retry/classify';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('failure classes', () => {
  it('connection: socket errors, SQLSTATE class 08, shutdowns, too many connections, dropped streams, wrapped ones', () => {
    for (const e of [
      withCode('ECONNREFUSED'), withCode('ECONNRESET'), withCode('08006'), withCode('08P01'), withCode('57P01'), withCode('57P03'), withCode('53300'),
      new Error('Connection terminated unexpectedly'), new Error('the source ended the replication stream'),
      Object.assign(new Error('outer'), { cause: withCode('ETIMEDOUT') }), Object.assign(new Error('retry'), { type: 'ConnectionFailure' }),
    ]) assert.equal(classifyFailure(e), 'connection', String((e as { code?: string }).code ?? e.message));
  });

  it('other: constraint and syntax errors, missing relations, anything unknown', () => {
    for (const e of [withCode('23505'), withCode('42P01', 'relation "t" does not exist'), withCode('42601'), new Error('boom'), 'a string', null]) {
      assert.equal(classifyFailure(e), 'other', String(e));
    }
  });
});
