// The raw limit for the CPU task: fib(N) COUNT times in a bare loop, in
// this one thread (run one a core).   node bare.js COUNT N [cpu]
// It prints its own time in seconds; with cpu, its CPU time after it
// (user and system, Node's start left out as from the time).
'use strict';
const task = require('./task.js');
const [count, n] = process.argv.slice(2, 4).map(Number);
const cpu = process.argv[4] === 'cpu';
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
for (let i = 0; i < count; i++) task({ n });
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const c = process.cpuUsage(c0);
console.log(cpu ? `${wall} ${(c.user + c.system) / 1e6}` : `${wall}`);
