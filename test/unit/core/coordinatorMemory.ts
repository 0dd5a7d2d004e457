import type { CoordinatorStorage } from '../../../edge/core/coordinatorHost.js';

/** The core coordinator's storage in a Map, with the alarm. */
export class CoordinatorMemory implements CoordinatorStorage {
  readonly data = new Map<string, unknown>();
  alarm: number | null = null;
  async get<T>(key: string): Promise<T | undefined> {
    return this.data.get(key) as T | undefined;
  }
  async list<T>(prefix: string): Promise<Map<string, T>> {
    return new Map([...this.data].filter(([k]) => k.startsWith(prefix)) as [string, T][]);
  }
  async put(key: string, value: unknown): Promise<void> {
    this.data.set(key, structuredClone(value));
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
  async getAlarm(): Promise<number | null> {
    return this.alarm;
  }
  async setAlarm(at: number): Promise<void> {
    this.alarm = at;
  }
}
