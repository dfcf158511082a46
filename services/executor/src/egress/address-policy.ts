import { isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { SwitchboardError } from '@switchboard/errors';
import { embeddedIpv4, type Ipv4Embedding } from './embedded-ipv4.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** Addresses and host names the operator allows in spite of the default block (on-premise, local development). */
export interface EgressPolicy {
  readonly ranges: readonly (readonly [IpAddress, number])[];
  /** Exact host names, lower-case, without a trailing dot. */
  readonly hostNames: ReadonlySet<string>;
  /** From `*.example.com` entries: `.example.com`. */
  readonly hostSuffixes: readonly string[];
}

export type AddressVerdict = { allowed: true } | { allowed: false; range: string; reason: string };

const ALLOWED: AddressVerdict = { allowed: true };

/**
 * Parses a URL host as an IP address, or returns undefined for a host name. Accepts `[::1]` and the
 * legacy IPv4 spellings `inet_aton` and the WHATWG URL parser accept (`2130706433`, `0x7f.1`,
 * `0177.0.0.1`, `127.1`), so a host that reaches the connector unnormalized is still classified.
 */
export function parseHostAddress(host: string): IpAddress | undefined {
  if (host.startsWith('[') && host.endsWith(']')) return parseIpv6(host.slice(1, -1));
  if (host.includes(':')) return parseIpv6(host);
  // WHATWG drops one trailing empty label before trying IPv4: `127.0.0.1.` is 127.0.0.1.
  const v4 = host.endsWith('.') ? host.slice(0, -1) : host;
  return ipaddr.IPv4.isValid(v4) ? ipaddr.IPv4.parse(v4) : undefined;
}

const COMPATIBLE_DOTTED = /^::(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIpv6(text: string): ipaddr.IPv6 | undefined {
  // ipaddr.js reads `::a.b.c.d` as IPv4-mapped; the socket API reads it as IPv4-compatible (::a.b.c.d).
  const compatible = isIPv6(text) ? COMPATIBLE_DOTTED.exec(text) : null;
  if (compatible !== null) {
    const [a, b, c, d] = compatible.slice(1).map(Number) as [number, number, number, number];
    return new ipaddr.IPv6([0, 0, 0, 0, 0, 0, (a << 8) | b, (c << 8) | d]);
  }
  return ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : undefined;
}

const HOST_LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_NAME = new RegExp(`^(\\*\\.)?${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);
// A host whose last label is a number is an IPv4 address to the URL parser, never a name.
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/;

/**
 * Builds the policy from allow-list entries: CIDRs (`127.0.0.0/8`, `::1/128`), single addresses,
 * exact host names and `*.example.com` (any subdomain, not the apex). Throws on the first bad entry.
 */
export function createEgressPolicy(config: { allow: readonly string[] }): EgressPolicy {
  const ranges: (readonly [IpAddress, number])[] = [];
  const hostNames = new Set<string>();
  const hostSuffixes: string[] = [];
  for (const raw of config.allow) {
    const entry = raw.trim().toLowerCase();
    if (entry.includes('/')) {
      ranges.push(parseCidrEntry(raw, entry));
      continue;
    }
    const address = parseHostAddress(entry);
    if (address !== undefined) {
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      continue;
    }
    const name = entry.endsWith('.') ? entry.slice(0, -1) : entry;
    if (!HOST_NAME.test(name) || NUMERIC_LAST_LABEL.test(name)) throw invalidEntry(raw);
    if (name.startsWith('*.')) hostSuffixes.push(name.slice(1));
    else hostNames.add(name);
  }
  return { ranges, hostNames, hostSuffixes };
}

function parseCidrEntry(raw: string, entry: string): readonly [IpAddress, number] {
  try {
    return ipaddr.parseCIDR(entry);
  } catch (cause) {
    throw invalidEntry(raw, cause);
  }
}

function invalidEntry(raw: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError(
    'INVALID_EGRESS_ALLOW_LIST',
    `egress allow-list entry ${JSON.stringify(raw)} is not a CIDR (10.0.0.0/8), an IP address, a host name or *.domain`,
    cause === undefined ? {} : { cause },
  );
}

/** True when the operator allow-listed this host by name. */
export function isHostAllowListed(host: string, policy: EgressPolicy): boolean {
  let name = host.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  return policy.hostNames.has(name) || policy.hostSuffixes.some((suffix) => name.endsWith(suffix));
}

function isIpv4(addr: IpAddress): addr is ipaddr.IPv4 {
  return addr.kind() === 'ipv4';
}

function inAllowedRange(addr: IpAddress, policy: EgressPolicy): boolean {
  return policy.ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}

/**
 * Decides whether a connection to `addr` may be opened. Blocks everything but public unicast unless
 * the allow-list covers the address itself or the IPv4 address it carries.
 */
export function classifyAddress(addr: IpAddress, policy: EgressPolicy): AddressVerdict {
  if (isIpv4(addr)) return inAllowedRange(addr, policy) ? ALLOWED : classifyIpv4(addr);
  const embedded = embeddedIpv4(addr);
  if (inAllowedRange(addr, policy) || (embedded !== undefined && inAllowedRange(embedded.ipv4, policy))) {
    return ALLOWED;
  }
  if (embedded === undefined) return classifyIpv6(addr);
  const carried = classifyIpv4(embedded.ipv4);
  if (!carried.allowed) {
    return {
      allowed: false,
      range: carried.range,
      reason: `${EMBEDDING_LABELS[embedded.form]} address carrying ${embedded.ipv4.toString()}: ${carried.reason}`,
    };
  }
  if (ROUTED_EMBEDDINGS.has(embedded.form)) return ALLOWED;
  return { allowed: false, range: embedded.form, reason: RANGE_REASONS[embedded.form] ?? DEFAULT_REASON };
}

const EMBEDDING_LABELS: Record<Ipv4Embedding, string> = {
  'ipv4-mapped': 'IPv4-mapped IPv6',
  'ipv4-translated': 'IPv4-translated IPv6',
  'ipv4-compatible': 'IPv4-compatible IPv6',
  nat64: 'NAT64',
  'nat64-local-use': 'local-use NAT64',
  '6to4': '6to4',
  teredo: 'Teredo',
};

// Transition addresses with a public IPv4 inside are real internet destinations (DNS64 hands out
// 64:ff9b:: addresses on IPv6-only hosts). The others have no business in a DNS answer or a URL.
const ROUTED_EMBEDDINGS: ReadonlySet<Ipv4Embedding> = new Set<Ipv4Embedding>(['nat64', '6to4', 'teredo']);

// ipaddr.js range names that IANA marks globally reachable, besides plain unicast.
const PUBLIC_RANGES: ReadonlySet<string> = new Set(['unicast', 'as112', 'as112v6', 'amt']);

const RANGE_NAMES: Readonly<Record<string, string>> = {
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade-nat',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
  deprecatedOrchid: 'orchid',
  orchid2: 'orchid',
  droneRemoteIdProtocolEntityTags: 'drone-remote-id',
  segmentRouting: 'segment-routing',
};

// ipaddr.js files these under `reserved`; named on their own so the integrator sees why.
const IPV4_OVERRIDES: Record<string, [ipaddr.IPv4, number][]> = {
  documentation: [
    ipaddr.IPv4.parseCIDR('192.0.2.0/24'),
    ipaddr.IPv4.parseCIDR('198.51.100.0/24'),
    ipaddr.IPv4.parseCIDR('203.0.113.0/24'),
  ],
  benchmarking: [ipaddr.IPv4.parseCIDR('198.18.0.0/15')],
};

const IPV6_OVERRIDES: Record<string, [ipaddr.IPv6, number][]> = {
  documentation: [ipaddr.IPv6.parseCIDR('2001:db8::/32'), ipaddr.IPv6.parseCIDR('3fff::/20')],
};

// Outside 2000::/3 no unicast space is allocated; ipaddr.js still calls it `unicast`.
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

function classifyIpv4(addr: ipaddr.IPv4): AddressVerdict {
  const override = ipaddr.subnetMatch(addr, IPV4_OVERRIDES, '');
  const range = override !== '' ? override : addr.range();
  return PUBLIC_RANGES.has(range) ? ALLOWED : blocked(addr, range);
}

function classifyIpv6(addr: ipaddr.IPv6): AddressVerdict {
  const override = ipaddr.subnetMatch(addr, IPV6_OVERRIDES, '');
  if (override !== '') return blocked(addr, override);
  const range = addr.range();
  if (!PUBLIC_RANGES.has(range)) return blocked(addr, range);
  return addr.match(IPV6_GLOBAL_UNICAST) ? ALLOWED : blocked(addr, 'unallocated');
}

function blocked(addr: IpAddress, ipaddrRange: string): AddressVerdict {
  const range = RANGE_NAMES[ipaddrRange] ?? ipaddrRange;
  const metadata = CLOUD_METADATA.has(addr.toNormalizedString());
  const reason = metadata
    ? 'it is a cloud instance metadata service, which hands out credentials'
    : (RANGE_REASONS[range] ?? DEFAULT_REASON);
  return { allowed: false, range, reason };
}

const CLOUD_METADATA: ReadonlySet<string> = new Set(
  ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254'].map((a) =>
    ipaddr.parse(a).toNormalizedString(),
  ),
);

const DEFAULT_REASON = 'it is not a public internet address';

const RANGE_REASONS: Readonly<Record<string, string>> = {
  loopback: "it is the executor's own host",
  private: 'it is a private network address (RFC 1918)',
  'link-local': 'it is a link-local address on the local network segment',
  'carrier-grade-nat': 'it is a carrier-grade NAT address (RFC 6598), internal to a provider network',
  unspecified: 'it is the unspecified address, which connects to the local host',
  broadcast: 'it is the broadcast address',
  multicast: 'it is a multicast address',
  reserved: 'it is in a reserved range',
  documentation: 'it is reserved for documentation',
  benchmarking: 'it is reserved for network benchmarking',
  'unique-local': 'it is a unique-local IPv6 address, private to a site',
  'site-local': 'it is a site-local IPv6 address, private to a site',
  unallocated: 'it is outside the IPv6 global unicast space',
  'ipv4-mapped': 'IPv4-mapped IPv6 addresses are refused; use the IPv4 address',
  'ipv4-translated': 'IPv4-translated IPv6 addresses are refused; use the IPv4 address',
  'ipv4-compatible': 'IPv4-compatible IPv6 addresses are deprecated and refused; use the IPv4 address',
  'nat64-local-use': 'it goes through a local-use NAT64 translator inside a private network',
};
