import { JanusApiError } from '../shared/janus/errors.js';

/**
 * The one result type of RPC between Durable Objects. workerd carries a thrown error's message but not
 * its Janus code across an RPC boundary, so callees answer with a value and callers `unwrap` it back
 * into a {@link JanusApiError} where they want an exception.
 */
export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: RpcError };

export interface RpcError {
  code: number;
  reason: string;
}

export function rpcOk<T>(value: T): RpcResult<T> {
  return { ok: true, value };
}

export function rpcFail<T = never>(code: number, reason: string): RpcResult<T> {
  return { ok: false, error: { code, reason } };
}

/**
 * Runs `fn`, turning a thrown error that carries a numeric Janus `code` (core or plugin) into a failed
 * result. Other errors become `fallbackCode` when one is given (a plugin's "unknown error"), else throw.
 */
export async function rpcRun<T>(fn: () => Promise<T> | T, fallbackCode?: number): Promise<RpcResult<T>> {
  try {
    return rpcOk(await fn());
  } catch (err) {
    const code = (err as { code?: unknown } | undefined)?.code;
    const reason = err instanceof Error ? err.message : String(err);
    if (typeof code === 'number') return rpcFail(code, reason);
    if (fallbackCode !== undefined) return rpcFail(fallbackCode, reason);
    throw err;
  }
}

/** The value of a result, or its error thrown as a {@link JanusApiError}. */
export function unwrap<T>(result: RpcResult<T>): T {
  if (!result.ok) throw new JanusApiError(result.error.code, result.error.reason);
  return result.value;
}
