// Which addresses a worker may POST alerts to (PG_DTS_WEBHOOK_ALLOW): the default allows public addresses
// only; address entries, host names and `none`; metadata addresses need an exact entry; IPv4-mapped IPv6
// counts as the IPv4 address it maps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPublicAddress, parseAddress, parseWebhookPolicy, refusal, WebhookPolicyError } from '../../src/alerts/webhook-policy';

const allowed = (setting: string | undefined, host: string, address: string): boolean => refusal(parseWebhookPolicy(setting), host, address) === null;

describe('webhook allow-list', () => {
  it('public addresses are those globally routable', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPublicAddress(a), true, a);
    for (const a of [
      '127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '100.64.0.1', '169.254.169.254', '169.254.1.1', '0.0.0.0', '224.0.0.1',
      '255.255.255.255', '192.0.2.1', '100.100.100.200', '192.0.0.192', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', 'ff02::1',
      '::ffff:127.0.0.1', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '2001:db8::1',
    ]) assert.equal(isPublicAddress(a), false, a);
  });

  it('the default (unset or empty) allows public addresses only', () => {
    for (const setting of [undefined, '', '  ']) {
      assert.equal(allowed(setting, 'hooks.example.com', '93.184.216.34'), true);
      assert.equal(allowed(setting, 'localhost', '127.0.0.1'), false);
      assert.equal(allowed(setting, '169.254.169.254', '169.254.169.254'), false);
      assert.equal(allowed(setting, 'metadata.google.internal', '169.254.169.254'), false);
      assert.equal(allowed(setting, 'x', '::ffff:169.254.169.254'), false);
      assert.equal(allowed(setting, 'x', 'fe80::1'), false);
      assert.equal(allowed(setting, 'x', '10.0.0.5'), false);
    }
    assert.match(refusal(parseWebhookPolicy(undefined), 'localhost', '127.0.0.1')!, /127\.0\.0\.1 is not allowed by PG_DTS_WEBHOOK_ALLOW=public/);
    assert.match(refusal(parseWebhookPolicy(undefined), 'x', '169.254.169.254')!, /cloud metadata address/);
  });

  it('address entries allow what they cover, and nothing else unless `public` is listed too', () => {
    assert.equal(allowed('127.0.0.1', 'localhost', '127.0.0.1'), true);
    assert.equal(allowed('127.0.0.1', 'x', '127.0.0.2'), false);
    assert.equal(allowed('127.0.0.1', 'x', '8.8.8.8'), false, 'a list without public allows only what it lists');
    assert.equal(allowed('127.0.0.1, public', 'x', '8.8.8.8'), true);
    assert.equal(allowed('10.0.0.0/8 192.168.0.0/16', 'x', '10.200.3.4'), true);
    assert.equal(allowed('10.0.0.0/8', 'x', '11.0.0.1'), false);
    assert.equal(allowed('::1', 'x', '::1'), true);
    assert.equal(allowed('[::1]', 'x', '::1'), true);
    assert.equal(allowed('fd00::/8', 'x', 'fd12::1'), true);
    assert.equal(allowed('127.0.0.0/8', 'x', '::ffff:127.0.0.1'), true, 'a mapped address is its IPv4 address');
  });

  it('metadata addresses are allowed only by an entry naming exactly the address', () => {
    assert.equal(allowed('169.254.0.0/16', 'x', '169.254.169.254'), false);
    assert.equal(allowed('0.0.0.0/0', 'x', '169.254.169.254'), false);
    assert.equal(allowed('169.254.0.0/16', 'x', '169.254.10.10'), true);
    assert.equal(allowed('169.254.169.254', 'x', '169.254.169.254'), true);
    assert.equal(allowed('fd00::/8', 'x', 'fd00:ec2::254'), false);
  });

  it('host names allow their own addresses, but never link-local, metadata, unspecified or multicast ones', () => {
    assert.equal(allowed('alerts.internal', 'alerts.internal', '10.0.0.9'), true);
    assert.equal(allowed('alerts.internal', 'ALERTS.internal.', '10.0.0.9'), true);
    assert.equal(allowed('alerts.internal', 'other.internal', '10.0.0.9'), false);
    assert.equal(allowed('*.corp.example', 'hooks.corp.example', '10.0.0.9'), true);
    assert.equal(allowed('*.corp.example', 'corp.example', '10.0.0.9'), false);
    assert.equal(allowed('*.corp.example', 'evilcorp.example', '10.0.0.9'), false);
    assert.equal(allowed('alerts.internal', 'alerts.internal', '169.254.169.254'), false, 'a listed name resolving to the metadata service');
    assert.equal(allowed('alerts.internal', 'alerts.internal', '169.254.3.3'), false);
    assert.equal(allowed('alerts.internal', 'alerts.internal', 'fe80::1'), false);
    assert.equal(allowed('alerts.internal', 'alerts.internal', '0.0.0.0'), false);
  });

  it('none refuses everything; a bad entry is an error naming it', () => {
    assert.equal(allowed('none', 'x', '8.8.8.8'), false);
    assert.throws(() => parseWebhookPolicy('none, 127.0.0.1'), WebhookPolicyError);
    assert.throws(() => parseWebhookPolicy('10.0.0.0/33'), /"10\.0\.0\.0\/33" has an invalid prefix length/);
    assert.throws(() => parseWebhookPolicy('10.0.0.0/'), /invalid prefix length/);
    assert.throws(() => parseWebhookPolicy('http://x'), /PG_DTS_WEBHOOK_ALLOW: "http:\/\/x" is not an address/);
  });

  it('parses addresses in every spelling', () => {
    assert.deepEqual(parseAddress('::ffff:169.254.169.254'), { family: 4, value: 0xa9fea9fen });
    assert.deepEqual(parseAddress('::ffff:a9fe:a9fe'), { family: 4, value: 0xa9fea9fen });
    assert.deepEqual(parseAddress('[::1]'), { family: 6, value: 1n });
    assert.deepEqual(parseAddress('fe80::1%eth0'), { family: 6, value: (0xfe80n << 112n) | 1n });
    assert.equal(parseAddress('example.com'), null);
  });
});
