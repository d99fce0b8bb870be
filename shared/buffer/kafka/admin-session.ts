/**
 * A kafkajs admin client for short calls (topic creation, readiness, lag) with a deadline on
 * each, replaced after a failure so a broker restart never leaves a dead connection behind.
 */
import type { Admin, Kafka } from 'kafkajs';

export class AdminSession {
  private admin: Admin | null = null;
  private connecting: Promise<Admin> | null = null;

  constructor(private readonly kafka: Kafka) {}

  /** Runs `call`; rejects when it fails or takes longer than `timeoutMs`. */
  async use<T>(call: (admin: Admin) => Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.connected().then(call), deadline]);
    } catch (err) {
      this.reset();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const admin = this.admin ?? (await this.connecting?.catch(() => null)) ?? null;
    this.admin = null;
    this.connecting = null;
    await admin?.disconnect();
  }

  private connected(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (err) {
        await admin.disconnect().catch(() => undefined);
        throw err;
      } finally {
        this.connecting = null;
      }
      this.admin = admin;
      return admin;
    })();
    return this.connecting;
  }

  private reset(): void {
    const admin = this.admin;
    this.admin = null;
    void admin?.disconnect().catch(() => undefined);
  }
}
