// The keep-alive control of bench/cluster.sh: an ordinary Node server
// written the way many are, calling server.close() itself on SIGTERM
// (tend's preload then leaves the stop to it; since Node 19 close() also
// closes idle keep-alive connections at once). With CLOSE_IDLE_EVERY_MS
// it closes its idle connections on a timer instead, with no stop or
// reload at all: what fails then is the HTTP keep-alive close race inside
// the app, whoever manages it.
const http = require('http');

const server = http.createServer((req, res) => res.end(`node pid ${process.pid}\n`));
server.listen(process.env.PORT);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
const every = Number(process.env.CLOSE_IDLE_EVERY_MS || 0);
if (every > 0) setInterval(() => server.closeIdleConnections(), every);
