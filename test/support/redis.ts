/** The deploy/local Redis the job tests use, and clean-up of a test run's keys (by its own prefix only). */
import { Redis } from 'ioredis';
import { REDIS_URL } from './servers.js';

export { REDIS_URL };

/** Deletes the keys matching `pattern` (SCAN, never KEYS: Redis is shared with other runs). */
export async function deleteRedisKeys(pattern: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
