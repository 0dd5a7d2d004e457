import { z } from 'zod';
import { JanusApiError, JanusError } from './errors.js';

/**
 * Validates `value` with a zod schema and turns the first problem into the error Janus gives for it:
 * a missing field is 456 "Missing mandatory element (x)", a mistyped one 467 "Invalid element type
 * (x should be a string)". Plugins pass their own codes for the two cases.
 */
export function parseJanus<S extends z.ZodType>(
  schema: S,
  value: unknown,
  codes: { missing: number; invalid: number } = {
    missing: JanusError.MISSING_MANDATORY_ELEMENT,
    invalid: JanusError.INVALID_ELEMENT_TYPE,
  },
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new JanusApiError(codes.invalid, 'Invalid value');
  const path = issue.path.map(String).join('.');
  const actual = valueAt(value, issue.path);
  if (actual === undefined) {
    throw new JanusApiError(codes.missing, `Missing mandatory element (${path})`);
  }
  throw new JanusApiError(codes.invalid, `Invalid element type (${path} should be ${expectedOf(issue)})`);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function expectedOf(issue: z.core.$ZodIssue): string {
  if (issue.message === POSITIVE_INTEGER) return POSITIVE_INTEGER;
  if (issue.code === 'invalid_type') {
    switch (issue.expected) {
      case 'string':
        return 'a string';
      case 'number':
      case 'int':
        return 'an integer';
      case 'boolean':
        return 'a boolean';
      case 'object':
        return 'an object';
      case 'array':
        return 'an array';
      default:
        return `a ${issue.expected}`;
    }
  }
  if (issue.code === 'too_small') return 'a positive integer';
  return 'valid';
}

/** Janus ids are unsigned integers; we keep them below 2^53 so JSON round-trips them exactly. */
export const janusId = z.number().int();
export const positiveInt = z.number().int().nonnegative();

const POSITIVE_INTEGER = 'a positive integer';
/** An integer ≥ 0 that Janus checks as JANUS_JSON_PARAM_POSITIVE: any problem reads "should be a positive integer". */
export const janusPositiveInt = z
  .number({ error: POSITIVE_INTEGER })
  .int({ error: POSITIVE_INTEGER })
  .nonnegative({ error: POSITIVE_INTEGER });
