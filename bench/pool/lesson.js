// The lesson's WorkerPool: a fixed number of slots and a queue, and a new
// worker thread started for every task (no timeout, no retry, no bound).
//   node lesson.js SIZE COUNT '{"n":25}'
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const task = require('./task.js');

if (!isMainThread) {
  parentPort.postMessage(task(workerData));
} else {
  class WorkerPool {
    constructor(size) {
      this.size = size;
      this.running = 0;
      this.queue = [];
    }
    runTask(data) {
      return new Promise((resolve, reject) => {
        this.queue.push({ data, resolve, reject });
        this.next();
      });
    }
    next() {
      if (this.running >= this.size || this.queue.length === 0) return;
      const { data, resolve, reject } = this.queue.shift();
      this.running++;
      const w = new Worker(__filename, { workerData: data });
      w.once('message', resolve);
      w.once('error', reject);
      w.once('exit', () => {
        this.running--;
        this.next();
      });
    }
  }
  const [size, count, json] = process.argv.slice(2);
  const pool = new WorkerPool(Number(size));
  const data = JSON.parse(json);
  const t0 = process.hrtime.bigint();
  Promise.all(Array.from({ length: Number(count) }, () => pool.runTask(data))).then(() => {
    console.log(Number(process.hrtime.bigint() - t0) / 1e9);
  });
}
