/**
 * Whether a request's `Origin` may reach the gateway. Non-browser MCP clients send none and pass; a
 * browser page may call only from an allow-listed origin, so a page on another site (or a DNS-rebound
 * name pointing at the gateway) cannot use a token the browser happens to hold. The gateway's own
 * host is not trusted implicitly: under DNS rebinding the attacker's origin and Host agree.
 */
export function originAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  return allowed.has(origin.toLowerCase());
}

/** The allow-list as compared: origins are case-insensitive in scheme and host. */
export function originSet(origins: readonly string[]): ReadonlySet<string> {
  return new Set(origins.map((o) => o.toLowerCase()));
}
