// Where a worker may POST alerts. A task spec names the webhook URL, and whoever can start a task is not
// necessarily trusted with the worker's network position: without a limit, a spec could make the worker
// POST (with headers of its choosing) to the cloud metadata service, to localhost, or to any internal
// service. The worker setting PG_DTS_WEBHOOK_ALLOW decides; the address checked is the one the host name
// RESOLVES to at send time, and the request goes to exactly that address (webhook.ts), so a name that
// changes its answer between check and connect (DNS rebinding) gains nothing.
//
// PG_DTS_WEBHOOK_ALLOW: entries separated by commas or spaces —
//   public             any globally routable unicast address (the default when the setting is unset or empty)
//   10.0.0.0/8, ::1     an address range (CIDR) or one address
//   hooks.internal      a host name (exact, case-insensitive); *.example.com: its subdomains
//   none               no webhook at all
// An address is allowed when an address entry covers it, or the URL's host name is listed (and the address
// is not link-local, a metadata service, unspecified or multicast: those only an address entry allows),
// or `public` is in force and the address is public. Metadata addresses (169.254.169.254 and the like)
// are allowed only by an entry naming exactly that address.
import { isIP } from 'node:net';

export const WEBHOOK_ALLOW_SETTING = 'PG_DTS_WEBHOOK_ALLOW';

interface Range {
  family: 4 | 6;
  /** The network address as a big integer (IPv4 in 32 bits, IPv6 in 128). */
  base: bigint;
  prefix: number;
  text: string;
}

export interface WebhookPolicy {
  /** `public` addresses are allowed. */
  public: boolean;
  ranges: Range[];
  /** Exact host names (lower case) and suffixes (".example.com" for "*.example.com"). */
  hosts: string[];
  suffixes: string[];
  /** The setting as given, for messages. */
  text: string;
}

export class WebhookPolicyError extends Error {}

function ipv4ToBig(address: string): bigint {
  return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBig(address: string): bigint {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = ipv4ToBig(quad[1]!);
    text = `${text.slice(0, quad.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** The address as (family, integer); an IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as its IPv4 address. */
export function parseAddress(address: string): { family: 4 | 6; value: bigint } | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const kind = isIP(bare.split('%')[0]!);
  if (kind === 4) return { family: 4, value: ipv4ToBig(bare) };
  if (kind !== 6) return null;
  const value = ipv6ToBig(bare);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

function range(text: string): Range {
  const [addr, bits] = text.split('/') as [string, string | undefined];
  const parsed = parseAddress(addr);
  if (!parsed) throw new WebhookPolicyError(`${WEBHOOK_ALLOW_SETTING}: "${text}" is not an address, a range (CIDR) or a host name`);
  const width = parsed.family === 4 ? 32 : 128;
  // A mapped IPv6 range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
  const mappedShift = parsed.family === 4 && isIP(addr) === 6 ? 96 : 0;
  const prefix = bits === undefined ? width : Number(bits) - mappedShift;
  if ((bits !== undefined && !/^\d+$/.test(bits)) || !Number.isInteger(prefix) || prefix < 0 || prefix > width) {
    throw new WebhookPolicyError(`${WEBHOOK_ALLOW_SETTING}: "${text}" has an invalid prefix length`);
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix);
  return { family: parsed.family, base: parsed.value & mask, prefix, text };
}

function inRange(r: Range, a: { family: 4 | 6; value: bigint }): boolean {
  if (r.family !== a.family) return false;
  const width = r.family === 4 ? 32 : 128;
  const mask = r.prefix === 0 ? 0n : ((1n << BigInt(r.prefix)) - 1n) << BigInt(width - r.prefix);
  return (a.value & mask) === r.base;
}

const HOST_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;

/** Parses the setting; unset or empty means `public`. Throws WebhookPolicyError naming a bad entry. */
export function parseWebhookPolicy(setting: string | undefined): WebhookPolicy {
  const text = (setting ?? '').trim();
  const entries = text.split(/[\s,]+/).filter(Boolean);
  const policy: WebhookPolicy = { public: entries.length === 0, ranges: [], hosts: [], suffixes: [], text: text || 'public' };
  for (const entry of entries) {
    const lower = entry.toLowerCase();
    if (lower === 'public') policy.public = true;
    else if (lower === 'none') continue;
    else if (isIP(entry.split('/')[0]!) || /^\[.*\](\/\d+)?$/.test(entry)) policy.ranges.push(range(entry.replace(/^\[(.*)\]/, '$1')));
    else if (HOST_NAME.test(entry)) {
      const name = lower.replace(/\.$/, '');
      if (name.startsWith('*.')) policy.suffixes.push(name.slice(1));
      else policy.hosts.push(name);
    } else throw new WebhookPolicyError(`${WEBHOOK_ALLOW_SETTING}: "${entry}" is not an address, a range (CIDR), a host name, "public" or "none"`);
  }
  if (entries.some((e) => e.toLowerCase() === 'none') && entries.length > 1) {
    throw new WebhookPolicyError(`${WEBHOOK_ALLOW_SETTING}: "none" cannot be combined with other entries`);
  }
  return policy;
}

const ranges = (texts: string[]): Range[] => texts.map(range);

/** Cloud metadata services: allowed only by an entry naming exactly the address. */
const METADATA = ranges([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean, ...
  '169.254.170.2', // AWS ECS task metadata
  '169.254.169.123', // AWS time sync
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud
  'fd00:ec2::254', // AWS over IPv6
  'fd00:ec2::23',
]);

/** Never reached because a host name is listed: only an address entry (or, for none of them, public) may allow these. */
const NEVER_BY_NAME = ranges([
  '0.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '255.255.255.255/32',
  '::/128', 'fe80::/10', 'ff00::/8',
]);

/** Not public: loopback, private, shared, link-local, documentation, benchmarking, reserved, multicast. */
const NOT_PUBLIC = ranges([
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/127', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
]);
const GLOBAL_UNICAST_V6 = range('2000::/3');

/** Whether an address is globally routable unicast (what `public` allows). */
export function isPublicAddress(address: string): boolean {
  const a = parseAddress(address);
  if (!a) return false;
  if (METADATA.some((r) => inRange(r, a)) || NOT_PUBLIC.some((r) => inRange(r, a))) return false;
  return a.family === 4 || inRange(GLOBAL_UNICAST_V6, a);
}

function hostListed(policy: WebhookPolicy, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return policy.hosts.includes(name) || policy.suffixes.some((s) => name.endsWith(s) && name.length > s.length);
}

/**
 * Judges one resolved address of a webhook whose URL names `host`. Returns null when it may be reached,
 * else why not (for the log).
 */
export function refusal(policy: WebhookPolicy, host: string, address: string): string | null {
  const a = parseAddress(address);
  if (!a) return `${address} is not an IP address`;
  const metadata = METADATA.some((r) => inRange(r, a));
  const covering = policy.ranges.filter((r) => inRange(r, a));
  if (metadata) {
    return covering.some((r) => r.prefix === (r.family === 4 ? 32 : 128))
      ? null
      : `${address} is a cloud metadata address (allowed only when ${WEBHOOK_ALLOW_SETTING} names it exactly)`;
  }
  if (covering.length) return null;
  if (hostListed(policy, host) && !NEVER_BY_NAME.some((r) => inRange(r, a))) return null;
  if (policy.public && isPublicAddress(address)) return null;
  return `${address} is not allowed by ${WEBHOOK_ALLOW_SETTING}=${policy.text}`;
}
