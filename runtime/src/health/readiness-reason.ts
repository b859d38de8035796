/**
 * The short reasons `/health/ready` gives anonymous callers when it answers
 * 503. The driver's own messages name users, databases and hosts; those stay
 * in the log and in the authenticated `/health/diagnostics`. Probes and load
 * balancers get one of these fixed phrases.
 */
import { TLS_UNTRUSTED } from '../pool/pool-errors.js';

/** Thrown when an operation on the readiness connection passes its bound. */
export class ReadinessTimeoutError extends Error {
  override readonly name = 'ReadinessTimeoutError';
}

/** Every short reason readiness can answer with. */
export const READINESS_REASONS = {
  unreachable: 'database unreachable',
  refused: 'connection refused',
  authentication: 'authentication failed',
  timedOut: 'timed out',
  noSlots: 'too many connections',
  tls: 'TLS verification failed',
  notReady: 'database starting up',
  noCheckYet: 'no check finished yet',
} as const;

/** One of `READINESS_REASONS`. */
export type ReadinessReason = (typeof READINESS_REASONS)[keyof typeof READINESS_REASONS];

const AUTHENTICATION_CODES = new Set(['28P01', '28000']);
const TIMEOUT_CODES = new Set(['CONNECT_TIMEOUT', 'ETIMEDOUT']);
/** A certificate that does not verify, or does not name the host. */
const TLS_CODES: ReadonlySet<string> = new Set([...TLS_UNTRUSTED, 'ERR_TLS_CERT_ALTNAME_INVALID']);

/** The short reason for a failed check, from the error's code (SQLSTATE or errno), name and message. */
export function readinessReason(error: unknown): ReadinessReason {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Node tries every address of a name (IPv4 and IPv6): one verdict only when they agree.
    const reasons = new Set(error.errors.map(readinessReason));
    return reasons.size === 1
      ? (reasons.values().next().value as ReadinessReason)
      : READINESS_REASONS.unreachable;
  }
  if (!(error instanceof Error)) return READINESS_REASONS.unreachable;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code === 'ECONNREFUSED') return READINESS_REASONS.refused;
    if (AUTHENTICATION_CODES.has(code)) return READINESS_REASONS.authentication;
    if (TIMEOUT_CODES.has(code)) return READINESS_REASONS.timedOut;
    if (code === '53300') return READINESS_REASONS.noSlots;
    if (code === '57P03') return READINESS_REASONS.notReady;
    if (TLS_CODES.has(code)) return READINESS_REASONS.tls;
  }
  if (error instanceof ReadinessTimeoutError || /\btime(d)? ?out\b|timeout expired/i.test(error.message)) {
    return READINESS_REASONS.timedOut;
  }
  return READINESS_REASONS.unreachable;
}

/**
 * The short reason for a pool connect error, from the message the pool keeps
 * (`PoolSnapshot.lastConnectError`, which quotes the code in parentheses).
 */
export function readinessReasonOfMessage(message: string): ReadinessReason {
  const code = /\((ECONNREFUSED|28P01|28000|53300|57P03|ETIMEDOUT)\b/.exec(message)?.[1];
  if (code !== undefined) return readinessReason(Object.assign(new Error(message), { code }));
  if (/^TLS certificate of /.test(message)) return READINESS_REASONS.tls;
  if (/\btimed out\b/.test(message)) return READINESS_REASONS.timedOut;
  return READINESS_REASONS.unreachable;
}
