// The SIP message layer in one import: model, URIs, parser, serializer, helpers.
export { SipParseError } from './errors.js';
export { Headers, type HeaderField } from './headers.js';
export { canonicalHeaderName, compactHeaderName, isListHeader } from './header-names.js';
export * from './header-values.js';
export { SipMessage, SipRequest, SipResponse, SIP_VERSION } from './message.js';
export { Params } from './params.js';
export { parseMessage, splitMessage, validateHeaders, type ParseOptions } from './parser.js';
export { serializeMessage, serializeHead, startLine } from './serializer.js';
export { createResponse, reasonPhrase, type CreateResponseOptions } from './response.js';
export { buildErrorResponse, salvageHeaders } from './bad-request.js';
export * from './uri.js';
