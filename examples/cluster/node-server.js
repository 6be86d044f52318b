// An ordinary Node HTTP server: nothing in it knows about tend. In
// cluster mode tend's preload serves its listen(PORT) from the socket
// tend shares between the instances, reports it ready once it listens,
// and on SIGTERM lets the requests in progress finish.
const http = require('http');

const server = http.createServer((req, res) => {
  res.end(`node instance ${process.env.TEND_INSTANCE} pid ${process.pid}\n`);
});
server.listen(process.env.PORT || 3001, () => {
  console.log(`node: listening on ${server.address().port}`);
});
