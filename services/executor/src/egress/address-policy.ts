import { isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { SwitchboardError } from '@switchboard/errors';
import { embeddedIpv4, type Ipv4Embedding } from './embedded-ipv4.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** Inclusive port bounds, 1-65535. */
export type PortRange = readonly [number, number];

/** An allowed CIDR; `ports` undefined opens every port of it. */
export interface AllowedRange {
  readonly net: IpAddress;
  readonly bits: number;
  readonly ports: PortRange | undefined;
}

/** Addresses and host names the operator allows in spite of the default block (on-premise, local development). */
export interface EgressPolicy {
  readonly ranges: readonly AllowedRange[];
  /** Exact host names, lower-case, without a trailing dot, with the ports each may use. */
  readonly hostNames: ReadonlyMap<string, readonly PortRange[]>;
  /** From `*.example.com` entries: `.example.com`, with the ports it may use. */
  readonly hostSuffixes: readonly { readonly suffix: string; readonly ports: PortRange }[];
}

/** A host-name entry without a port opens only the ports a URL without one uses: 80 and 443. */
const DEFAULT_NAME_PORTS: readonly PortRange[] = [[80, 80], [443, 443]];
const EVERY_PORT: PortRange = [1, 65535];

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
 * exact host names and `*.example.com` (any subdomain, not the apex), each optionally followed by
 * `:port`, `:first-last` or `:*` (IPv6 in brackets then: `[::1]:8443`, `[fd00::/8]:443`). An address
 * or CIDR without a port opens every port; a host name without one, only 80 and 443. Throws on the
 * first bad entry.
 */
export function createEgressPolicy(config: { allow: readonly string[] }): EgressPolicy {
  const ranges: AllowedRange[] = [];
  const hostNames = new Map<string, PortRange[]>();
  const hostSuffixes: { suffix: string; ports: PortRange }[] = [];
  for (const raw of config.allow) {
    const { host: entry, ports } = splitPort(raw, raw.trim().toLowerCase());
    if (entry.includes('/')) {
      const [net, bits] = parseCidrEntry(raw, entry);
      ranges.push({ net, bits, ports });
      continue;
    }
    const address = parseHostAddress(entry);
    if (address !== undefined) {
      ranges.push({ net: address, bits: address.kind() === 'ipv4' ? 32 : 128, ports });
      continue;
    }
    const name = entry.endsWith('.') ? entry.slice(0, -1) : entry;
    if (!HOST_NAME.test(name) || NUMERIC_LAST_LABEL.test(name)) throw invalidEntry(raw);
    const namePorts = ports === undefined ? DEFAULT_NAME_PORTS : [ports];
    if (name.startsWith('*.')) {
      for (const p of namePorts) hostSuffixes.push({ suffix: name.slice(1), ports: p });
    } else {
      hostNames.set(name, [...(hostNames.get(name) ?? []), ...namePorts]);
    }
  }
  return { ranges, hostNames, hostSuffixes };
}

const PORT_SUFFIX = /^(.*):(\*|\d{1,5}(?:-\d{1,5})?)$/;

/** Splits `host:ports` (`[v6]:ports` for IPv6); a bare IPv6 address or CIDR has no port. */
function splitPort(raw: string, entry: string): { host: string; ports: PortRange | undefined } {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracketed !== null) {
    const inner = bracketed[1]!;
    if (parseIpv6(inner.split('/')[0]!) === undefined) throw invalidEntry(raw);
    return { host: inner, ports: bracketed[2] === undefined ? undefined : parsePorts(raw, bracketed[2]) };
  }
  // More than one colon and no brackets: an IPv6 address or CIDR, never a port.
  if (entry.indexOf(':') !== entry.lastIndexOf(':')) return { host: entry, ports: undefined };
  const match = PORT_SUFFIX.exec(entry);
  if (match === null) {
    if (entry.includes(':')) throw invalidEntry(raw);
    return { host: entry, ports: undefined };
  }
  return { host: match[1]!, ports: parsePorts(raw, match[2]!) };
}

function parsePorts(raw: string, text: string): PortRange {
  if (text === '*') return EVERY_PORT;
  const [first, last = first] = text.split('-').map(Number) as [number, number?];
  if (!(first >= 1 && last <= 65535 && first <= last)) throw invalidEntry(raw);
  return [first, last];
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
    `egress allow-list entry ${JSON.stringify(raw)} is not a CIDR (10.0.0.0/8), an IP address, a host name or *.domain, optionally with :port, :first-last or :* ([::1]:8443 for IPv6)`,
    cause === undefined ? {} : { cause },
  );
}

function inPorts(port: number, ports: PortRange | undefined): boolean {
  return ports === undefined || (port >= ports[0] && port <= ports[1]);
}

/** True when the operator allow-listed this host by name for this port. */
export function isHostAllowListed(host: string, policy: EgressPolicy, port: number): boolean {
  let name = host.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  return (
    (policy.hostNames.get(name)?.some((ports) => inPorts(port, ports)) ?? false) ||
    policy.hostSuffixes.some((entry) => name.endsWith(entry.suffix) && inPorts(port, entry.ports))
  );
}

function isIpv4(addr: IpAddress): addr is ipaddr.IPv4 {
  return addr.kind() === 'ipv4';
}

function inAllowedRange(addr: IpAddress, policy: EgressPolicy, port: number | undefined): boolean {
  return policy.ranges.some(
    (range) =>
      range.net.kind() === addr.kind() &&
      addr.match(range.net, range.bits) &&
      (range.ports === undefined || (port !== undefined && inPorts(port, range.ports))),
  );
}

/**
 * Decides whether a connection to `addr` (on `port`) may be opened. Blocks everything but public
 * unicast unless the allow-list covers the address itself or the IPv4 address it carries, on that
 * port. Without a port, only entries that open every port count.
 */
export function classifyAddress(addr: IpAddress, policy: EgressPolicy, port?: number): AddressVerdict {
  if (isIpv4(addr)) return inAllowedRange(addr, policy, port) ? ALLOWED : classifyIpv4(addr);
  const embedded = embeddedIpv4(addr);
  if (inAllowedRange(addr, policy, port) || (embedded !== undefined && inAllowedRange(embedded.ipv4, policy, port))) {
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
