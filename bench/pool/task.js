// The task every Node contender runs: the lesson's Fibonacci, or an echo.
'use strict';
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
module.exports = (d) => (d.echo !== undefined ? d.echo : { n: d.n, fib: fib(d.n) });
