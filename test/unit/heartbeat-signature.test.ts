// Heartbeat messages travel as logical messages, which any source role can also send: only those signed
// with the stream's own key give the stream a time (a forged one could hide lag).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heartbeatTime, newHeartbeatKey, signedBody } from '../../src/stream/heartbeat';

const PREFIX = 'pg-dts:t:heartbeat';
const msg = (content: string, prefix = PREFIX) => ({ prefix, content: Buffer.from(content) });

describe('heartbeat signatures', () => {
  const key = newHeartbeatKey();

  it("accepts the stream's own heartbeat", () => {
    assert.equal(heartbeatTime(PREFIX, key, msg(signedBody(key, 1234))), 1234);
  });

  it('rejects an unsigned, re-signed, altered or foreign-prefixed message', () => {
    const future = Date.now() + 3_600_000;
    assert.equal(heartbeatTime(PREFIX, key, msg(JSON.stringify({ ts: future }))), null);
    assert.equal(heartbeatTime(PREFIX, key, msg(signedBody(newHeartbeatKey(), future))), null);
    const genuine = JSON.parse(signedBody(key, 1234)) as { sig: string };
    assert.equal(heartbeatTime(PREFIX, key, msg(JSON.stringify({ ts: future, sig: genuine.sig }))), null);
    assert.equal(heartbeatTime(PREFIX, key, msg(signedBody(key, 1234), 'pg-dts:other:heartbeat')), null);
    assert.equal(heartbeatTime(PREFIX, key, msg('not json')), null);
  });
});
