/**
 * Child entry of the bench: runs the one task given as JSON in argv[2] and
 * reports to the parent over IPC. Trials send one result and exit; server
 * tasks report their port, answer CPU-usage requests, and close on `stop`.
 */
import { runThroughputTrial, type ThroughputTask } from './database-throughput.js';
import { startHttpServer, type HttpServerTask } from './health-server.js';
import { runOversubscriptionTrial, type OversubscriptionTask } from './oversubscription.js';
import { runPoolOverheadTrial, type PoolOverheadTask } from './pool-overhead.js';

type Task = ThroughputTask | PoolOverheadTask | OversubscriptionTask | HttpServerTask;

function send(message: object): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

async function runTask(task: Task): Promise<unknown> {
  switch (task.kind) {
    case 'throughput':
      return runThroughputTrial(task);
    case 'pool-overhead':
      return runPoolOverheadTrial(task);
    case 'oversubscription':
      return runOversubscriptionTrial(task);
    case 'http-server': {
      const server = await startHttpServer(task);
      process.on('message', (message: { type: string }) => {
        if (message.type === 'cpu') void send({ type: 'cpu', usage: process.cpuUsage() });
        if (message.type === 'stop') void server.close().finally(() => process.exit(0));
      });
      await send({ type: 'listening', port: server.port });
      return undefined;
    }
  }
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '{}') as Task;
  try {
    const result = await runTask(task);
    if (task.kind === 'http-server') return;
    await send({ type: 'result', result });
    // Everything the trial opened is closed by now; exit even if a library left a timer behind.
    process.exit(0);
  } catch (error) {
    await send({ type: 'error', message: (error as Error).stack ?? String(error) });
    process.exit(1);
  }
}

void main();
