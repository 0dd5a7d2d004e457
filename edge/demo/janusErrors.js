/** A failure's text: a Janus error (code and reason), a transport error string, or an exception. */
export function describe(err) {
  if (err && typeof err === 'object' && 'error' in err)
    return err.error_code ? `error ${err.error_code}: ${err.error}` : String(err.error);
  return String(err?.message ?? err);
}
