/**
 * The `request` of a plugin message as every Janus plugin reads it (JANUS_VALIDATE_JSON_OBJECT on
 * `request`): lower-cased, or what is wrong with it in Janus's words; each plugin answers the problem
 * with its own MISSING_ELEMENT / INVALID_ELEMENT code.
 */
export type RequestNameProblem = { problem: 'missing' | 'invalid'; text: string };

export function readRequestName(body: Record<string, unknown>): string | RequestNameProblem {
  const request = body.request;
  if (request === undefined) return { problem: 'missing', text: 'Missing mandatory element (request)' };
  if (typeof request !== 'string')
    return { problem: 'invalid', text: 'Invalid element type (request should be a string)' };
  return request.toLowerCase();
}

/** A plugin's own codes for a missing and a mistyped element (its ST, VR, AB). */
export type ElementCodes = { missing: number; invalid: number };

/** The request's name, or its problem already mapped to the plugin's code, for the plugin to wrap in its error. */
export function requestNameCode(
  body: Record<string, unknown>,
  codes: ElementCodes,
): string | { code: number; text: string } {
  const name = readRequestName(body);
  if (typeof name === 'string') return name;
  return { code: name.problem === 'missing' ? codes.missing : codes.invalid, text: name.text };
}
