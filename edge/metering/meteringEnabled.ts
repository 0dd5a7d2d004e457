import { z } from 'zod';

/** The Worker var that turns metering on ("1", "true" or "yes"); unset or anything else: off. */
export interface MeteringVars {
  METERING?: string;
}

const flag = z
  .string()
  .optional()
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

export function meteringEnabled(env: MeteringVars): boolean {
  return flag.parse(env.METERING);
}
