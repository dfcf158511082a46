import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '@switchboard/errors';
import {
  classifyAddress,
  createEgressPolicy,
  isHostAllowListed,
  parseHostAddress,
  type AddressVerdict,
  type EgressPolicy,
} from './address-policy.js';

// Pure classification: nothing in this file opens a socket or asks DNS.

const DEFAULT_POLICY = createEgressPolicy({ allow: [] });

function classify(host: string, policy: EgressPolicy = DEFAULT_POLICY): AddressVerdict {
  const addr = parseHostAddress(host);
  if (addr === undefined) throw new Error(`test input ${host} is not an address`);
  return classifyAddress(addr, policy);
}

const BLOCKED: readonly (readonly [host: string, range: string])[] = [
  // IPv4 special-purpose ranges
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.1.2.3', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'carrier-grade-nat'],
  ['100.127.255.254', 'carrier-grade-nat'],
  ['100.100.100.200', 'carrier-grade-nat'],
  ['169.254.169.254', 'link-local'],
  ['169.254.170.2', 'link-local'],
  ['169.254.0.1', 'link-local'],
  ['192.0.2.1', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['192.88.99.1', 'reserved'],
  // odd IPv4 spellings
  ['2130706433', 'loopback'],
  ['0x7f.1', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['0177.1', 'loopback'],
  ['127.1', 'loopback'],
  ['127.0.1', 'loopback'],
  ['127.0.0.1.', 'loopback'],
  ['0', 'unspecified'],
  ['0xa9.0xfe.0xa9.0xfe', 'link-local'],
  ['2852039166', 'link-local'],
  ['3232235777', 'private'],
  ['012.1.2.3', 'private'],
  ['0xa.1', 'private'],
  // IPv6 special-purpose ranges
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::', 'unspecified'],
  ['[::]', 'unspecified'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['fc00::1', 'unique-local'],
  ['fd12:3456:789a::1', 'unique-local'],
  ['fd00:ec2::254', 'unique-local'],
  ['fec0::1', 'site-local'],
  ['ff02::1', 'multicast'],
  ['ff05::1:3', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['2001:db8:ffff::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'],
  ['100::1', 'discard'],
  ['2001:10::1', 'orchid'],
  ['2001:20::1', 'orchid'],
  ['5f00::1', 'segment-routing'],
  ['4000::1', 'unallocated'],
  ['::2:1', 'unspecified'],
  // IPv4 in IPv6 clothing: the carried address decides the range
  ['::ffff:127.0.0.1', 'loopback'],
  ['[::ffff:127.0.0.1]', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:a9fe:a9fe', 'link-local'],
  ['[::ffff:a9fe:a9fe]', 'link-local'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:0:7f00:1', 'loopback'],
  ['::127.0.0.1', 'loopback'],
  ['::7f00:1', 'loopback'],
  ['::a9fe:a9fe', 'link-local'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::a9fe:a9fe', 'link-local'],
  ['64:ff9b::a00:1', 'private'],
  ['64:ff9b::c0a8:101', 'private'],
  ['64:ff9b:1::a9fe:a9fe', 'link-local'],
  ['2002:7f00:1::', 'loopback'],
  ['2002:a9fe:a9fe::1', 'link-local'],
  ['2002:c0a8:101::1', 'private'],
  ['2002:6440:1::', 'carrier-grade-nat'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
  ['2001:0:4136:e378:8000:63bf:5601:5601', 'link-local'],
  ['2001::1', 'reserved'],
  // IPv4 in IPv6 clothing that is refused whatever it carries
  ['::ffff:8.8.8.8', 'ipv4-mapped'],
  ['::ffff:0:808:808', 'ipv4-translated'],
  ['::8.8.8.8', 'ipv4-compatible'],
  ['64:ff9b:1::808:808', 'nat64-local-use'],
];

const ALLOWED: readonly string[] = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '172.32.0.1',
  '172.15.255.255',
  '100.63.255.255',
  '100.128.0.1',
  '192.169.0.1',
  '11.0.0.1',
  '198.20.0.1',
  '223.255.255.254',
  '192.175.48.6',
  '134744072',
  '2606:4700::1111',
  '[2606:4700::1111]',
  '2001:4860:4860::8888',
  '2a00:1450:4001:830::200e',
  '64:ff9b::808:808',
  '64:ff9b::8.8.8.8',
  '2002:808:808::1',
  '2001:0:4136:e378:8000:63bf:3ffd:fdfe',
];

describe('classifyAddress with the default policy', () => {
  it('has a table big enough to mean something', () => {
    expect(BLOCKED.length + ALLOWED.length).toBeGreaterThanOrEqual(60);
  });

  it.each(BLOCKED)('blocks %s as %s', (host, range) => {
    const verdict = classify(host);
    expect(verdict).toMatchObject({ allowed: false, range });
    if (!verdict.allowed) expect(verdict.reason.length).toBeGreaterThan(0);
  });

  it.each(ALLOWED)('allows public unicast %s', (host) => {
    expect(classify(host)).toEqual({ allowed: true });
  });

  it.each(['169.254.169.254', 'fd00:ec2::254', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe'])(
    'names the cloud metadata service for %s',
    (host) => {
      const verdict = classify(host);
      expect(verdict.allowed).toBe(false);
      if (!verdict.allowed) expect(verdict.reason).toMatch(/metadata/);
    },
  );
});

describe('parseHostAddress', () => {
  it.each([
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['1.2.3', '1.2.0.3'],
    ['[::1]', '0:0:0:0:0:0:0:1'],
    ['::ffff:127.0.0.1', '0:0:0:0:0:ffff:7f00:1'],
    // The socket API reads ::a.b.c.d as IPv4-compatible, not IPv4-mapped as ipaddr.js would.
    ['::127.0.0.1', '0:0:0:0:0:0:7f00:1'],
    ['[::127.0.0.1]', '0:0:0:0:0:0:7f00:1'],
  ])('reads %s as %s', (host, normalized) => {
    expect(parseHostAddress(host)?.toNormalizedString()).toBe(normalized);
  });

  it.each(['example.com', 'localhost', 'rebind.test', '', '08.0.0.1', '1.2.3.4.5', '127.0.0.256', '4294967296', '[127.0.0.1]', '[example.com]', 'xn--bcher-kva.example'])(
    'treats %s as a host name',
    (host) => {
      expect(parseHostAddress(host)).toBeUndefined();
    },
  );
});

describe('createEgressPolicy allow-list', () => {
  it('lets a CIDR through, as given and when carried inside IPv6', () => {
    const policy = createEgressPolicy({ allow: ['127.0.0.0/8'] });
    for (const host of ['127.0.0.1', '127.1', '2130706433', '::ffff:127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::']) {
      expect(classify(host, policy), host).toEqual({ allowed: true });
    }
    expect(classify('::1', policy)).toMatchObject({ allowed: false, range: 'loopback' });
    expect(classify('10.0.0.1', policy)).toMatchObject({ allowed: false, range: 'private' });
  });

  it('lets an IPv6 CIDR through without opening IPv4 loopback', () => {
    const policy = createEgressPolicy({ allow: ['::1/128', 'fd00::/8'] });
    expect(classify('::1', policy)).toEqual({ allowed: true });
    expect(classify('fd00:ec2::254', policy)).toEqual({ allowed: true });
    expect(classify('fc00::1', policy)).toMatchObject({ allowed: false, range: 'unique-local' });
    expect(classify('127.0.0.1', policy)).toMatchObject({ allowed: false, range: 'loopback' });
  });

  it('does not open :: or ::1 when 0.0.0.0/32 or 0.0.0.1/32 is allowed, though ::0.0.0.0 spells ::', () => {
    const policy = createEgressPolicy({ allow: ['0.0.0.0/32', '0.0.0.1/32'] });
    expect(classify('0.0.0.0', policy)).toEqual({ allowed: true });
    expect(classify('::ffff:0.0.0.1', policy)).toEqual({ allowed: true });
    expect(classify('::0.0.0.0', policy)).toMatchObject({ allowed: false, range: 'unspecified' });
    expect(classify('::0.0.0.1', policy)).toMatchObject({ allowed: false, range: 'loopback' });
  });

  it('treats a single address as a /32 or /128', () => {
    const policy = createEgressPolicy({ allow: ['10.1.2.3', '[::1]', ' 192.168.0.10 '] });
    expect(classify('10.1.2.3', policy)).toEqual({ allowed: true });
    expect(classify('10.1.2.4', policy)).toMatchObject({ allowed: false, range: 'private' });
    expect(classify('::1', policy)).toEqual({ allowed: true });
    expect(classify('192.168.0.10', policy)).toEqual({ allowed: true });
    expect(classify('192.168.0.11', policy)).toMatchObject({ allowed: false });
  });

  it('matches host names exactly or by *.suffix, case-insensitively', () => {
    const policy = createEgressPolicy({ allow: ['api.internal.test', '*.corp.example', ' Billing.Example.COM '] });
    const allowed = (host: string) => isHostAllowListed(host, policy, 443);
    expect(allowed('api.internal.test')).toBe(true);
    expect(allowed('API.Internal.Test')).toBe(true);
    expect(allowed('api.internal.test.')).toBe(true);
    expect(allowed('x.api.internal.test')).toBe(false);
    expect(allowed('internal.test')).toBe(false);
    expect(allowed('a.corp.example')).toBe(true);
    expect(allowed('a.b.corp.example')).toBe(true);
    expect(allowed('corp.example')).toBe(false);
    expect(allowed('evilcorp.example')).toBe(false);
    expect(allowed('corp.example.evil.test')).toBe(false);
    expect(allowed('billing.example.com')).toBe(true);
  });

  it('opens a host name without a port on 80 and 443 only, and with a port on exactly that port or range', () => {
    const policy = createEgressPolicy({
      allow: ['pms.internal', 'ehr.internal:8443', '*.corp.example:9000-9009', 'any.internal:*', 'PMS.internal:8080'],
    });
    const allowed = (host: string, port: number) => isHostAllowListed(host, policy, port);
    expect([80, 443, 8080, 22, 6379].map((p) => allowed('pms.internal', p))).toEqual([true, true, true, false, false]);
    expect([8443, 443, 80, 8444].map((p) => allowed('ehr.internal', p))).toEqual([true, false, false, false]);
    expect([8999, 9000, 9009, 9010].map((p) => allowed('a.corp.example', p))).toEqual([false, true, true, false]);
    expect([1, 22, 65535].map((p) => allowed('any.internal', p))).toEqual([true, true, true]);
  });

  it('opens an address or CIDR with a port on that port only, and every port without one', () => {
    const policy = createEgressPolicy({ allow: ['10.1.2.3:8443', '192.168.0.0/24:5000-5001', '[::1]:9000', '[fd00::/8]:443', '172.16.0.1'] });
    const verdict = (host: string, port?: number) => classifyAddress(parseHostAddress(host)!, policy, port).allowed;
    expect([verdict('10.1.2.3', 8443), verdict('10.1.2.3', 22), verdict('10.1.2.3', 8444)]).toEqual([true, false, false]);
    expect([verdict('192.168.0.9', 5001), verdict('192.168.0.9', 5002)]).toEqual([true, false]);
    expect([verdict('::1', 9000), verdict('::1', 9001)]).toEqual([true, false]);
    expect([verdict('fd12::1', 443), verdict('fd12::1', 80)]).toEqual([true, false]);
    // An IPv4-mapped spelling is judged by the IPv4 entry, port included.
    expect([verdict('::ffff:10.1.2.3', 8443), verdict('::ffff:10.1.2.3', 22)]).toEqual([true, false]);
    expect([verdict('172.16.0.1', 1), verdict('172.16.0.1', 65535)]).toEqual([true, true]);
    // Without a port only entries that open every port count.
    expect([verdict('10.1.2.3'), verdict('172.16.0.1')]).toEqual([false, true]);
  });

  it('does not let a host-name entry open the addresses it might resolve to', () => {
    const policy = createEgressPolicy({ allow: ['localhost'] });
    expect(isHostAllowListed('localhost', policy, 80)).toBe(true);
    expect(classify('127.0.0.1', policy)).toMatchObject({ allowed: false, range: 'loopback' });
  });

  it.each([
    '',
    '   ',
    '10.0.0.0/33',
    '::1/129',
    '10.0.0.0/',
    '/8',
    'example.com/8',
    '*',
    '*.',
    'foo.*.example.com',
    '**.example.com',
    'not a host',
    'http://example.com',
    'example.com:0',
    'example.com:65536',
    'example.com:9-1',
    'example.com:80:81',
    'example.com:http',
    '10.0.0.1:',
    '[::1',
    '[::1]:',
    '[example.com]:80',
    '-bad.example',
    'a..b',
    '300.1.1.1',
    '1.2.3.4.5',
    '[example.com]',
  ])('rejects the entry %j', (entry) => {
    let thrown: unknown;
    try {
      createEgressPolicy({ allow: ['127.0.0.1', entry] });
    } catch (err) {
      thrown = err;
    }
    expect(isSwitchboardError(thrown)).toBe(true);
    if (isSwitchboardError(thrown)) {
      expect(thrown.reason).toBe('INVALID_EGRESS_ALLOW_LIST');
      expect(thrown.message).toContain(JSON.stringify(entry));
    }
  });
});

// Every range the guard must refuse, as IPv4 CIDRs, for the properties below.
const BLOCKED_IPV4_RANGES: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];

function u32ToIpv4(value: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

const blockedIpv4 = fc
  .record({ cidr: fc.constantFrom(...BLOCKED_IPV4_RANGES), offset: fc.nat() })
  .map(({ cidr, offset }) => {
    const [base, bits] = ipaddr.IPv4.parseCIDR(cidr);
    const [a, b, c, d] = base.octets as [number, number, number, number];
    const start = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    const size = 2 ** (32 - bits);
    return u32ToIpv4((start + (offset % size)) >>> 0);
  });

const hex16 = (n: number): string => n.toString(16);
const hexGroups = (v4: ipaddr.IPv4): [string, string] => {
  const [a, b, c, d] = v4.octets as [number, number, number, number];
  return [hex16((a << 8) | b), hex16((c << 8) | d)];
};
const u32Of = (v4: ipaddr.IPv4): number => {
  const [a, b, c, d] = v4.octets as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
};

type Clothing = (v4: ipaddr.IPv4, noise: number) => string;

/** ::0.0.0.0 and ::0.0.0.1 are the IPv6 unspecified and loopback addresses in their own right. */
const isOwnIpv6Range = (addr: ipaddr.IPv4 | ipaddr.IPv6): boolean =>
  addr.kind() === 'ipv6' && /^(0:){7}[01]$/.test(addr.toNormalizedString());

/** Ways to spell an IPv4 address, each of which a socket would carry to that IPv4 address. */
const CLOTHINGS: Readonly<Record<string, Clothing>> = {
  dotted: (v4) => v4.toString(),
  decimal: (v4) => String(u32Of(v4)),
  hex: (v4) => `0x${u32Of(v4).toString(16)}`,
  octal: (v4) => v4.octets.map((o) => `0${o.toString(8)}`).join('.'),
  short: (v4) => {
    const [a, b, c, d] = v4.octets as [number, number, number, number];
    return `${a}.${(b << 16) | (c << 8) | d}`;
  },
  mappedDotted: (v4) => `::ffff:${v4.toString()}`,
  mappedHex: (v4) => `[::ffff:${hexGroups(v4).join(':')}]`,
  translated: (v4) => `::ffff:0:${hexGroups(v4).join(':')}`,
  compatibleDotted: (v4) => `::${v4.toString()}`,
  compatibleHex: (v4) => `0:0:0:0:0:0:${hexGroups(v4).join(':')}`,
  nat64: (v4) => `64:ff9b::${hexGroups(v4).join(':')}`,
  nat64Dotted: (v4) => `[64:ff9b::${v4.toString()}]`,
  nat64LocalUse: (v4, noise) => `64:ff9b:1:${hex16(noise & 0xffff)}::${hexGroups(v4).join(':')}`,
  sixToFour: (v4, noise) => `2002:${hexGroups(v4).join(':')}:${hex16(noise & 0xffff)}::${hex16((noise >>> 16) & 0xffff)}`,
  teredo: (v4, noise) => {
    const [high, low] = hexGroups(v4).map((g) => hex16(~parseInt(g, 16) & 0xffff));
    return `2001:0:${hex16(noise & 0xffff)}:${hex16((noise >>> 16) & 0xffff)}:8000:${hex16(noise & 0xfff)}:${high}:${low}`;
  },
};

describe('classifyAddress properties', () => {
  it('keeps a blocked IPv4 address blocked, with its own range, in any clothing', () => {
    fc.assert(
      fc.property(blockedIpv4, fc.constantFrom(...Object.keys(CLOTHINGS)), fc.nat(), (v4, clothing, noise) => {
        const plain = classifyAddress(v4, DEFAULT_POLICY);
        const dressed = CLOTHINGS[clothing]?.(v4, noise) ?? '';
        const addr = parseHostAddress(dressed);
        expect(addr, dressed).toBeDefined();
        if (addr === undefined || plain.allowed) throw new Error(`bad generator output ${dressed}`);
        const verdict = classifyAddress(addr, DEFAULT_POLICY);
        expect(verdict, dressed).toMatchObject(isOwnIpv6Range(addr) ? { allowed: false } : { allowed: false, range: plain.range });
      }),
      { numRuns: 2000 },
    );
  });

  it('opens a blocked IPv4 range in every clothing once its CIDR is allow-listed', () => {
    fc.assert(
      fc.property(blockedIpv4, fc.constantFrom(...Object.keys(CLOTHINGS)), fc.nat(), (v4, clothing, noise) => {
        const policy = createEgressPolicy({ allow: [`${v4.toString()}/32`] });
        const dressed = CLOTHINGS[clothing]?.(v4, noise) ?? '';
        const addr = parseHostAddress(dressed);
        if (addr === undefined) throw new Error(`unparsed ${dressed}`);
        // Allow-listing 0.0.0.0/32 or 0.0.0.1/32 must not open the IPv6 unspecified or loopback address.
        expect(classifyAddress(addr, policy), dressed).toMatchObject({ allowed: !isOwnIpv6Range(addr) });
      }),
      { numRuns: 500 },
    );
  });

  it('allows a public IPv4 address through NAT64 and 6to4, never through mapped or compatible forms', () => {
    const publicIpv4 = fc
      .nat()
      .map((n) => u32ToIpv4((n * 2654435761) >>> 0))
      .filter((v4) => classifyAddress(v4, DEFAULT_POLICY).allowed);
    fc.assert(
      fc.property(publicIpv4, fc.nat(), (v4, noise) => {
        for (const name of ['nat64', 'nat64Dotted', 'sixToFour', 'teredo', 'decimal', 'octal']) {
          const dressed = CLOTHINGS[name]?.(v4, noise) ?? '';
          const addr = parseHostAddress(dressed);
          if (addr === undefined) throw new Error(`unparsed ${dressed}`);
          expect(classifyAddress(addr, DEFAULT_POLICY), dressed).toEqual({ allowed: true });
        }
        for (const name of ['mappedDotted', 'mappedHex', 'translated', 'compatibleDotted', 'compatibleHex', 'nat64LocalUse']) {
          const dressed = CLOTHINGS[name]?.(v4, noise) ?? '';
          const addr = parseHostAddress(dressed);
          if (addr === undefined) throw new Error(`unparsed ${dressed}`);
          expect(classifyAddress(addr, DEFAULT_POLICY).allowed, dressed).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
