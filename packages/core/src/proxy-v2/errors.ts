// The codec's typed errors: one code per kind of malformed header, each with a hint for the operator.
import { TrcError } from '../errors/errors.ts';
import type { ErrorCode } from '../errors/errors.ts';

const HINTS: Partial<Record<ErrorCode, string>> = {
  TRC_PROXY_V2_BAD_SIGNATURE: 'the peer did not send a PROXY protocol v2 header; only enable PROXY v2 on listeners whose senders always send it',
  TRC_PROXY_V1_UNSUPPORTED: 'configure the sender for PROXY protocol version 2 (HAProxy: send-proxy-v2)',
  TRC_PROXY_V2_HEADER_TOO_LARGE: 'a sender that needs more room must drop TLVs; raise maxHeaderBytes only up to 4096',
  TRC_PROXY_V2_TRUNCATED: 'the sender must write the whole header at once before closing',
};
const DEFAULT_HINT = 'the sender produced a malformed PROXY v2 header; the connection must be dropped';

export function proxyError(code: ErrorCode, message: string, details: Record<string, unknown> = {}): TrcError {
  return new TrcError(code, message, { hint: HINTS[code] ?? DEFAULT_HINT, details });
}

export function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

/** The encoder's refusal: a bug in the code that built the header, never a header sent wrong. */
export function unencodable(message: string): TrcError {
  return new TrcError('TRC_PROXY_V2_UNENCODABLE', message, { hint: 'the caller built an invalid PROXY v2 header; fix the code that builds it' });
}
