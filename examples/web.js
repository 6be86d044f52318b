// A small HTTP server: answers every request with a greeting.
const http = require('http');

const port = Number(process.env.PORT || 3000);
const server = http.createServer((req, res) => {
  res.end(`${process.env.GREETING || 'hello'} from ${process.env.TEND_APP}:${process.env.TEND_INSTANCE}\n`);
});
// Every instance listens on PORT: in cluster mode (several instances, as in
// ecosystem.config.js) tend binds the port once and hands the same socket to
// each, as PM2's cluster mode does, so they share its connections.
server.listen(port, '127.0.0.1', () => console.log(`web: listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => {
  console.log('web: SIGTERM, closing');
  server.close(() => process.exit(0));
});
