// Small helpers for name-addr values in dialogs: copies with and without the tag parameter.
import type { NameAddr } from '../header-values.js';
import { cloneUri } from '../uri.js';

export function cloneNameAddr(na: NameAddr): NameAddr {
  const c: NameAddr = { uri: cloneUri(na.uri), params: na.params.clone() };
  if (na.displayName !== undefined) c.displayName = na.displayName;
  return c;
}

/** A copy without the tag parameter (the dialog's local/remote URI, RFC 3261 12.1.1). */
export function withoutTag(na: NameAddr): NameAddr {
  const c = cloneNameAddr(na);
  c.params.delete('tag');
  return c;
}

/** A copy with `tag` set (or without tag when `tag` is empty, as for an RFC 2543 peer). */
export function withTag(na: NameAddr, tag: string): NameAddr {
  const c = withoutTag(na);
  if (tag !== '') c.params.set('tag', tag);
  return c;
}
