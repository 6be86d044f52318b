// The raw limit for the CPU task: fib(N) COUNT times in a bare loop, in
// this one thread (run one a core).   node bare.js COUNT N
'use strict';
const task = require('./task.js');
const [count, n] = process.argv.slice(2).map(Number);
const t0 = process.hrtime.bigint();
for (let i = 0; i < count; i++) task({ n });
console.log(Number(process.hrtime.bigint() - t0) / 1e9);
