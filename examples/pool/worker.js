// A task pool's worker in Node, with no library: tasks arrive as
// messages ({type: 'task', id, data}) and each answer goes back with
// process.send, as a result or an error, with the task's id.
//   tend start examples/pool/pool.yaml
//   tend task fib-node '{"n":30}'
'use strict';

// The lesson's CPU-heavy task.
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

process.on('message', (m) => {
  if (!m || m.type !== 'task') return; // tend send's messages, "shutdown"
  try {
    const d = m.data || {};
    if (d.echo !== undefined) {
      process.send({ type: 'result', id: m.id, data: d.echo });
      return;
    }
    if (!Number.isInteger(d.n) || d.n < 0 || d.n > 45) {
      throw new Error('want {"n": 0…45}');
    }
    process.send({ type: 'result', id: m.id, data: { n: d.n, fib: fib(d.n) } });
  } catch (e) {
    process.send({ type: 'error', id: m.id, message: e.message });
  }
});

process.send('ready'); // online at once rather than after min_uptime
