// Answers a 401/407 digest challenge to one of our requests (RFC 3261 22.2, 22.3): the
// Authorization (401, from WWW-Authenticate) or Proxy-Authorization (407, from
// Proxy-Authenticate) header for the retried request. MD5 only: IMS AKA challenges belong to the
// registration (daemon/ims), which holds the SIM.
import { randomBytes } from 'node:crypto';
import { chooseQop, computeResponse, formatAuthorization, parseChallenge, type DigestChallenge } from '../../auth/digest.js';
import type { SipRequest, SipResponse } from '../message.js';
import { formatUri } from '../uri.js';

export interface Credentials {
  username: string;
  password: string | Buffer;
}

/**
 * Returns the headers to add to the retried request, or undefined when the challenge cannot be
 * answered (no credentials for the realm, an algorithm we do not do, a malformed challenge).
 */
export type Authorizer = (challenge: SipResponse, request: SipRequest) => Array<[string, string]> | undefined;

export interface DigestAuthorizerOptions {
  /** credentials for a realm; undefined when we have none for it */
  credentials(realm: string): Credentials | undefined;
  /** cnonce source (tests pin it) */
  cnonce?: () => string;
  /** told why a challenge was not answered */
  onUnanswered?(why: string): void;
}

export function digestAuthorizer(options: DigestAuthorizerOptions): Authorizer {
  const cnonce = options.cnonce ?? (() => randomBytes(8).toString('hex'));
  return (res, req) => {
    const [challengeHeader, answerHeader] = res.status === 407
      ? ['Proxy-Authenticate', 'Proxy-Authorization'] : ['WWW-Authenticate', 'Authorization'];
    const headers: Array<[string, string]> = [];
    // RFC 3261 22.3: answer every challenge we can (one per realm, e.g. forked proxies)
    for (const value of res.headers.getFields(challengeHeader)) {
      let ch: DigestChallenge;
      try {
        ch = parseChallenge(value);
      } catch (e) {
        options.onUnanswered?.(`malformed ${challengeHeader}: ${(e as Error).message}`);
        continue;
      }
      if (ch.algorithm !== 'MD5') {
        options.onUnanswered?.(`${ch.algorithm} challenge for realm "${ch.realm}" is the registration's to answer`);
        continue;
      }
      const cred = options.credentials(ch.realm);
      if (!cred) {
        options.onUnanswered?.(`no credentials for realm "${ch.realm}"`);
        continue;
      }
      const qop = chooseQop(ch.qop);
      const uri = formatUri(req.uri);
      const password = typeof cred.password === 'string' ? Buffer.from(cred.password, 'utf8') : cred.password;
      const c = qop ? cnonce() : undefined;
      const body = qop === 'auth-int' ? req.body : undefined;
      const response = computeResponse({
        username: cred.username, realm: ch.realm, password, method: req.method, uri, nonce: ch.nonce,
        ...(qop ? { qop, nc: 1, cnonce: c } : {}), ...(body ? { body } : {}),
      });
      headers.push([answerHeader, formatAuthorization({
        username: cred.username, realm: ch.realm, nonce: ch.nonce, uri, response, algorithm: 'MD5',
        ...(qop ? { qop, nc: 1, cnonce: c } : {}), ...(ch.opaque !== undefined ? { opaque: ch.opaque } : {}),
      })]);
    }
    return headers.length > 0 ? headers : undefined;
  };
}
