// A small HTTP server: answers every request with a greeting.
const http = require('http');

const port = Number(process.env.PORT || 3000);
const server = http.createServer((req, res) => {
  res.end(`hello from ${process.env.TEND_APP}:${process.env.TEND_INSTANCE}\n`);
});
server.listen(port, '127.0.0.1', () => console.log(`web: listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => {
  console.log('web: SIGTERM, closing');
  server.close(() => process.exit(0));
});
