/**
 * Errors as one log line. Used by every part of the runtime that logs or
 * reports an error it caught (readiness, diagnostics, hosting, start-up).
 */

/** One line for an error: its message, with the SQLSTATE or errno code when there is one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message !== '' ? error.message : error.name;
  // AggregateError (IPv4 + IPv6 both refused) has an empty message.
  if (message === 'AggregateError' && error instanceof AggregateError)
    return error.errors.map(describeError).join('; ');
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
