// Who may talk to the annotation server: only the page it serves, opened from the address
// `annotate` printed. A web page of another site open in the same browser can send requests to the
// loopback port too; these checks keep it from reading the queries or writing answers:
// - Host must be 127.0.0.1:<port> or localhost:<port>: a page of another site whose name resolves
//   to 127.0.0.1 (DNS rebinding) sends its own name;
// - every request but the page's script carries the run's secret token: the page's address and its
//   pictures in the URL (?token=), the API calls in a header the page sets (x-alseg-token);
// - a write (POST) must also come from the page's own origin (the Origin header browsers send with
//   every POST) and be JSON: a cross-site "simple" request (a form, or fetch with text/plain) can
//   carry neither a custom header nor application/json without a CORS preflight, which this server
//   never grants.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The URL parameter that carries the token to the page and its pictures. */
export const TOKEN_PARAM = 'token';
/** The request header the page's API calls carry the token in. */
export const TOKEN_HEADER = 'x-alseg-token';

/** A request refused for who sent it (not for what it says): the HTTP status and why. */
export class AccessError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AccessError';
  }
}

/** A new secret for one server: 128 random bits, URL-safe. */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

/** Refuses a request whose Host is not this server's loopback address. */
export function checkHost(req: IncomingMessage, port: number): void {
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) throw new AccessError(403, `unexpected Host "${host}"`);
}

/** Refuses a missing or wrong token; `where` says where the page carries it. */
export function checkToken(given: string | string[] | null | undefined, token: string, where: string): void {
  const value = Array.isArray(given) ? given[0] : given;
  if (!value) throw new AccessError(403, `no token: ${where} must carry the token of the address "alseg annotate" printed`);
  const a = Buffer.from(value);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new AccessError(403, `wrong token in ${where}: open the address "alseg annotate" printed (a restarted server has a new one)`);
  }
}

/** Refuses a write that does not come from the page: its origin, its token and a JSON body. */
export function checkWrite(req: IncomingMessage, port: number, token: string): void {
  const origin = req.headers.origin;
  // Host is checked first, so it is one of this server's two names; the page's origin is that one.
  const own = `http://${req.headers.host ?? `127.0.0.1:${port}`}`;
  if (!origin) throw new AccessError(403, `a write must come from the annotation page (no Origin header; expected ${own})`);
  if (origin !== own) throw new AccessError(403, `a write must come from the annotation page: Origin "${origin}" is not ${own}`);
  checkToken(req.headers[TOKEN_HEADER], token, `the ${TOKEN_HEADER} header`);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new AccessError(415, `a write is JSON: Content-Type must be application/json, got "${req.headers['content-type'] ?? ''}"`);
}
