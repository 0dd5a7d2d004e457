/**
 * Stored tokens: token → the plugins it may attach to (admin-managed). The table travels as a plain
 * object (RPC, storage), and a token is whatever string an admin chose, `constructor` or `__proto__`
 * included: it is read only through own properties and rebuilt with `Object.fromEntries` (which
 * defines properties instead of calling the `__proto__` setter), so no name reaches the prototype.
 */
export type TokenTable = Record<string, string[]>;

/** The plugins a stored token may use, or undefined when no such token exists. */
export function tokenPlugins(tokens: TokenTable, token: string): string[] | undefined {
  return Object.hasOwn(tokens, token) ? tokens[token] : undefined;
}

/** A copy of the table with `token` set to `plugins`. */
export function withToken(tokens: TokenTable, token: string, plugins: string[]): TokenTable {
  return Object.fromEntries([...Object.entries(tokens).filter(([t]) => t !== token), [token, plugins]]);
}

/** A copy of the table without `token`. */
export function withoutToken(tokens: TokenTable, token: string): TokenTable {
  return Object.fromEntries(Object.entries(tokens).filter(([t]) => t !== token));
}
