/** Cookie names: with Secure, the __Host- prefix also pins the cookie to this host and path /. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-sb_session' : 'sb_session';
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** HttpOnly and SameSite=Strict always; Secure when configured. maxAgeS 0 clears it. */
export function sessionCookie(name: string, value: string, secure: boolean, maxAgeS: number): string {
  return [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeS}`, ...(secure ? ['Secure'] : [])].join('; ');
}
