/**
 * The probe sampler of `npm run loadtest`, run as its own process as kubelet
 * is: the load generator's busy event loop must not be counted as the
 * probes' latency. Calls the probe paths one after another every 100 ms, each
 * on a fresh connection with kubelet's default 3 s timeout, until the parent
 * sends `"stop"` over IPC; then sends the timings back and exits.
 *
 *   node --import tsx runtime/loadtest/probe-sampler.ts BASE_URL PATH...
 */
import { performance } from 'node:perf_hooks';
import { percentile, type ProbeTimings } from './probe-timings.js';

const [baseUrl, ...paths] = process.argv.slice(2);
if (baseUrl === undefined || paths.length === 0 || process.send === undefined) {
  process.stderr.write('usage: (spawned with an IPC channel) probe-sampler.ts BASE_URL PATH...\n');
  process.exit(2);
}

let running = true;
process.on('message', (message) => {
  if (message === 'stop') running = false;
});

const timings = new Map(paths.map((path) => [path, { millis: [] as number[], failed: 0 }]));
// kubelet is a long-running process: one unrecorded call per path first, so the first recorded one does not
// pay for loading and compiling this process's HTTP client.
for (const path of paths) {
  await fetch(`${baseUrl}${path}`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(3000) })
    .then((response) => response.arrayBuffer())
    .catch(() => undefined);
}

let tick = 0;
while (running) {
  // Each tick starts with the next path: the first call after the sleep waits for this process to be
  // scheduled again on a busy machine, and that wait must not always land on the same path.
  const order = paths.map((_, index) => paths[(index + tick) % paths.length] as string);
  tick += 1;
  for (const path of order) {
    const entry = timings.get(path) as { millis: number[]; failed: number };
    const started = performance.now();
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        headers: { connection: 'close' },
        signal: AbortSignal.timeout(3000),
      });
      await response.arrayBuffer();
      if (!response.ok) entry.failed += 1;
    } catch {
      entry.failed += 1;
    }
    entry.millis.push(performance.now() - started);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}

const result: ProbeTimings = {};
for (const [path, { millis, failed }] of timings) {
  const sorted = [...millis].sort((a, b) => a - b);
  result[path] = {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    count: sorted.length,
    failed,
  };
}
process.send(result, () => process.disconnect());
