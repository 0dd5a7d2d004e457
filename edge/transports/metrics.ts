/**
 * Request counters of this isolate (a Worker isolate is one of many in production; these are
 * per-isolate figures, scraped next to the registry-derived session and handle counts).
 */
export class RequestMetrics {
  readonly requestsByVerb = new Map<string, number>();
  readonly errorsByCode = new Map<number, number>();

  countRequest(verb: unknown): void {
    const v = typeof verb === 'string' && verb.length <= 32 ? verb.toLowerCase() : 'invalid';
    this.requestsByVerb.set(v, (this.requestsByVerb.get(v) ?? 0) + 1);
  }

  countReply(reply: { janus: string; error?: unknown }): void {
    if (reply.janus !== 'error') return;
    const code = (reply.error as { code?: number } | undefined)?.code ?? 0;
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }

  render(counts: { sessions: number; handles: number; peerconnections: number }): string {
    const lines = [
      "# HELP janus_sessions Live sessions (from the coordinators' registries).",
      '# TYPE janus_sessions gauge',
      `janus_sessions ${counts.sessions}`,
      '# HELP janus_handles Attached plugin handles.',
      '# TYPE janus_handles gauge',
      `janus_handles ${counts.handles}`,
      '# HELP janus_peerconnections Handles with a PeerConnection.',
      '# TYPE janus_peerconnections gauge',
      `janus_peerconnections ${counts.peerconnections}`,
      '# HELP janus_http_requests_total Janus API requests over HTTP by verb (this isolate).',
      '# TYPE janus_http_requests_total counter',
    ];
    for (const [verb, n] of this.requestsByVerb) lines.push(`janus_http_requests_total{verb="${verb}"} ${n}`);
    lines.push(
      '# HELP janus_http_errors_total Janus error replies over HTTP by code (this isolate).',
      '# TYPE janus_http_errors_total counter',
    );
    for (const [code, n] of this.errorsByCode) lines.push(`janus_http_errors_total{code="${code}"} ${n}`);
    return lines.join('\n') + '\n';
  }
}

export const metrics = new RequestMetrics();
