// RFC 3261 12: a dialog is identified by Call-ID, local tag and remote tag. Which message tag is
// "local" depends on the side: for a UAC the From tag, for a UAS the To tag.
import type { SipRequest, SipResponse } from '../message.js';

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** A string key for maps (Call-IDs and tags cannot contain NUL). */
export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** The dialog an incoming in-dialog request belongs to (12.2.2: local = To tag, remote = From tag). */
export function idOfIncomingRequest(req: SipRequest): DialogId | undefined {
  const localTag = req.toTag;
  const remoteTag = req.fromTag;
  if (localTag === undefined || remoteTag === undefined) return undefined;
  return { callId: req.callId, localTag, remoteTag };
}

/** The dialog a response to our request belongs to (12.1.2: local = From tag, remote = To tag). */
export function idOfIncomingResponse(res: SipResponse): DialogId | undefined {
  const localTag = res.fromTag;
  const remoteTag = res.toTag;
  if (localTag === undefined || remoteTag === undefined) return undefined;
  return { callId: res.callId, localTag, remoteTag };
}
