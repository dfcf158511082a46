import ipaddr from 'ipaddr.js';

/** The IPv6 forms that carry an IPv4 address a packet may end up at. */
export type Ipv4Embedding =
  | 'ipv4-mapped'
  | 'ipv4-translated'
  | 'ipv4-compatible'
  | 'nat64'
  | 'nat64-local-use'
  | '6to4'
  | 'teredo';

export interface EmbeddedIpv4 {
  readonly form: Ipv4Embedding;
  readonly ipv4: ipaddr.IPv4;
}

interface Layout {
  readonly form: Ipv4Embedding;
  readonly prefix: [ipaddr.IPv6, number];
  /** Index of the first of the two 16-bit groups holding the IPv4 address. */
  readonly at: number;
  /** Teredo stores the client address inverted so NATs do not rewrite it. */
  readonly inverted?: boolean;
}

const cidr = (text: string): [ipaddr.IPv6, number] => ipaddr.IPv6.parseCIDR(text);

// Checked in order: the narrower ::ffff:0:0/96 forms come before ::/96 that contains them.
const LAYOUTS: readonly Layout[] = [
  { form: 'ipv4-mapped', prefix: cidr('::ffff:0:0/96'), at: 6 },
  { form: 'ipv4-translated', prefix: cidr('::ffff:0:0:0/96'), at: 6 },
  { form: 'ipv4-compatible', prefix: cidr('::/96'), at: 6 },
  { form: 'nat64', prefix: cidr('64:ff9b::/96'), at: 6 },
  // RFC 8215 lets operators pick any prefix length inside this /48; the /96 layout is the common one,
  // and the classifier blocks this local-use range whatever it carries.
  { form: 'nat64-local-use', prefix: cidr('64:ff9b:1::/48'), at: 6 },
  { form: '6to4', prefix: cidr('2002::/16'), at: 1 },
  { form: 'teredo', prefix: cidr('2001::/32'), at: 6, inverted: true },
];

const UNSPECIFIED_AND_LOOPBACK = cidr('::/127');

/**
 * The IPv4 address an IPv6 address carries, if it is one of the transition forms, extracted by hand
 * because ipaddr.js only converts the IPv4-mapped form and Node routes several of the others.
 */
export function embeddedIpv4(addr: ipaddr.IPv6): EmbeddedIpv4 | undefined {
  if (addr.match(UNSPECIFIED_AND_LOOPBACK)) return undefined;
  for (const layout of LAYOUTS) {
    if (!addr.match(layout.prefix)) continue;
    const mask = layout.inverted === true ? 0xffff : 0;
    const high = (addr.parts[layout.at] ?? 0) ^ mask;
    const low = (addr.parts[layout.at + 1] ?? 0) ^ mask;
    return {
      form: layout.form,
      ipv4: new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]),
    };
  }
  return undefined;
}
