// piscina (npm), THREADS threads, COUNT tasks submitted at once (in
// batches, so the queue stays bounded as tend's does).
//   NODE_PATH=… node piscina.js THREADS COUNT '{"n":25}'
'use strict';
const path = require('node:path');
const Piscina = require('piscina');
const [threads, count, json] = process.argv.slice(2);
const pool = new Piscina({ filename: path.join(__dirname, 'task.js'), minThreads: Number(threads), maxThreads: Number(threads) });
const data = JSON.parse(json);
(async () => {
  await pool.run({ echo: 0 }); // the threads are up
  const t0 = process.hrtime.bigint();
  const batch = 10000;
  for (let left = Number(count); left > 0; left -= batch) {
    await Promise.all(Array.from({ length: Math.min(batch, left) }, () => pool.run(data)));
  }
  console.log(Number(process.hrtime.bigint() - t0) / 1e9);
  await pool.destroy();
})();
