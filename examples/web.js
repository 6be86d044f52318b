// A small HTTP server: answers every request with a greeting.
const http = require('http');

const port = Number(process.env.PORT || 3000);
const server = http.createServer((req, res) => {
  res.end(`${process.env.GREETING || 'hello'} from ${process.env.TEND_APP}:${process.env.TEND_INSTANCE}\n`);
});
// Instances share nothing yet (cluster mode comes later): instance N listens
// on PORT+N.
const listenPort = port + Number(process.env.TEND_INSTANCE || 0);
server.listen(listenPort, '127.0.0.1', () => console.log(`web: listening on http://127.0.0.1:${listenPort}`));
process.on('SIGTERM', () => {
  console.log('web: SIGTERM, closing');
  server.close(() => process.exit(0));
});
