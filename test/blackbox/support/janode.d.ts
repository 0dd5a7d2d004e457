/** Minimal typings for the parts of janode (JavaScript only) the black-box tests use. */
declare module 'janode' {
  import type { EventEmitter } from 'node:events';

  export interface JanodeHandle extends EventEmitter {
    id: number;
    message(body: Record<string, unknown>, jsep?: unknown): Promise<Record<string, unknown>>;
    detach(): Promise<void>;
    hangup(): Promise<Record<string, unknown>>;
    trickle(candidate: unknown): Promise<Record<string, unknown>>;
  }

  export interface JanodeSession extends EventEmitter {
    id: number;
    attach<H extends JanodeHandle = JanodeHandle>(descriptor: { id: string; Handle?: unknown }): Promise<H>;
    destroy(): Promise<void>;
  }

  export interface JanodeConnection extends EventEmitter {
    create(kaIntervalSeconds?: number): Promise<JanodeSession>;
    getInfo(): Promise<Record<string, unknown>>;
    listSessions(): Promise<Record<string, unknown>>;
    listHandles(sessionId: number): Promise<Record<string, unknown>>;
    handleInfo(sessionId: number, handleId: number): Promise<Record<string, unknown>>;
    sendRequest(request: Record<string, unknown>): Promise<Record<string, unknown>>;
    close(): Promise<void>;
  }

  const Janode: {
    connect(config: {
      is_admin?: boolean;
      address:
        { url: string; apisecret?: string; token?: string } | { url: string; apisecret?: string; token?: string }[];
      retry_time_secs?: number;
      max_retries?: number;
    }): Promise<JanodeConnection>;
    Logger: { setLevel(level: 'none' | 'error' | 'warning' | 'info' | 'verbose' | 'debug'): string };
    EVENT: {
      CONNECTION_CLOSED: string;
      SESSION_DESTROYED: string;
      HANDLE_DETACHED: string;
      HANDLE_HANGUP: string;
      CONNECTION_ERROR: string;
    };
  };
  export default Janode;
}

declare module 'janode/plugins/echotest' {
  import type { JanodeHandle } from 'janode';

  export interface EchoTestHandle extends JanodeHandle {
    start(params: {
      audio?: boolean;
      video?: boolean;
      jsep?: unknown;
      bitrate?: number;
      record?: boolean;
      filename?: string | null;
    }): Promise<{ result: string; jsep?: unknown }>;
  }

  const EchoTestPlugin: {
    id: string;
    Handle: unknown;
    EVENT: { ECHOTEST_RESULT: string; ECHOTEST_SLOWLINK: string; ECHOTEST_ERROR: string };
  };
  export default EchoTestPlugin;
}

declare module 'janode/plugins/videoroom' {
  import type { JanodeHandle } from 'janode';

  /** The part of janode's VideoRoom handle the tests drive (answers are plugin data objects). */
  export interface VideoRoomHandle extends JanodeHandle {
    create(params: { room: number; description?: string; secret?: string }): Promise<Record<string, any>>;
    exists(params: { room: number }): Promise<Record<string, any>>;
    joinPublisher(params: { room: number; feed?: number; display?: string }): Promise<Record<string, any>>;
    listParticipants(params: { room: number }): Promise<Record<string, any>>;
    list(): Promise<Record<string, any>>;
    leave(): Promise<Record<string, any>>;
    destroy(params: { room: number; secret?: string }): Promise<Record<string, any>>;
  }

  const VideoRoomPlugin: { id: string; Handle: unknown; EVENT: Record<string, string> };
  export default VideoRoomPlugin;
}
