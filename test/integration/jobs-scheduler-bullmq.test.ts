/** The JobScheduler contract, held by the bullmq scheduler on the real Redis of deploy/local. */
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { BullmqScheduler } from '../../shared/jobs/bullmq/bullmq-scheduler.js';
import { describeSchedulerContract } from '../support/jobs-scheduler-contract.js';
import { deleteRedisKeys, REDIS_URL } from '../support/redis.js';

const prefixes: string[] = [];
let current = '';

describeSchedulerContract('bullmq', {
  makeScheduler: () => {
    current = `meshtel-test-${randomUUID().slice(0, 8)}`;
    prefixes.push(current);
    return new BullmqScheduler({ redisUrl: REDIS_URL, prefix: current });
  },
  peer: () => new BullmqScheduler({ redisUrl: REDIS_URL, prefix: current }),
});

afterAll(async () => {
  for (const p of prefixes) await deleteRedisKeys(`${p}:*`);
});
