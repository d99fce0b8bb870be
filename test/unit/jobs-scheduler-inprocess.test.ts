/** The JobScheduler contract, held by the in-process scheduler all-in-one runs its jobs on. */
import { InProcessScheduler } from '../../shared/jobs/inprocess/inprocess-scheduler.js';
import { describeSchedulerContract } from '../support/jobs-scheduler-contract.js';

describeSchedulerContract('in-process', { makeScheduler: () => new InProcessScheduler() });
