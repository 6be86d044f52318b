// tend's preload for Node apps in cluster mode (loaded with --require).
// tend binds the app's listen: sockets once and passes them as fds 3…
// (LISTEN_FDS, LISTEN_FDNAMES such as tcp-3000). An unmodified app calls
// server.listen(port); this turns that into server.listen({fd}) on the
// passed socket, so every instance shares it, and tells tend the instance
// is ready once it listens. Without listen: (PM2's cluster mode,
// TEND_LISTEN_ON_DEMAND=1), listen(port) asks tend over the IPC channel
// instead, and tend passes the socket it bound for the app at the first
// such request, as Node passes handles. Other listens, and child
// processes, are left alone.
'use strict';
const net = require('net');

const count = parseInt(process.env.LISTEN_FDS || '0', 10);
const onDemand = process.env.TEND_LISTEN_ON_DEMAND === '1' && typeof process.send === 'function';
delete process.env.TEND_LISTEN_ON_DEMAND;
if (onDemand || (count > 0 && process.env.LISTEN_PID === String(process.pid))) {
  const byPort = new Map();
  const probeFd = new Map();
  const probeServers = [];
  (process.env.LISTEN_FDNAMES || '').split(':').forEach((name, i) => {
    const m = /^tcp-(\d+)$/.exec(name);
    if (m && i < count && !byPort.has(Number(m[1]))) byPort.set(Number(m[1]), 3 + i);
    // probe-PORT: this instance's own socket, where tend's probes of
    // PORT arrive (on the shared one they could reach another instance).
    const p = /^probe-(\d+)$/.exec(name);
    if (p && i < count) probeFd.set(Number(p[1]), 3 + i);
  });
  // Children must not take the sockets again.
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDNAMES;

  // Requests for sockets, by id, until tend answers (on Node's internal
  // channel: the app's process.on('message') never sees them).
  const asked = new Map();
  let lastID = 0;
  process.on('internalMessage', (m, handle) => {
    if (!m || m.cmd !== 'NODE_TEND_LISTEN') return;
    const done = asked.get(m.id);
    if (!done) return;
    asked.delete(m.id);
    if (asked.size === 0 && process.channel) process.channel.unref();
    done(m, handle);
  });
  const hostOf = (args) => {
    const a = args[0];
    if (a && typeof a === 'object') return a.host;
    return typeof args[1] === 'string' ? args[1] : undefined;
  };
  const portOf = (args) => {
    const a = args[0];
    if (typeof a === 'number') return a;
    if (typeof a === 'string' && /^\d+$/.test(a)) return Number(a);
    if (a && typeof a === 'object' && a.fd === undefined && a.path === undefined && a.port !== undefined) {
      return Number(a.port);
    }
    return undefined;
  };
  let toldReady = false;
  const servers = new Set();
  let draining = false;
  // A graceful stop for apps that do not handle SIGTERM themselves: stop
  // accepting (the shared socket stays open for the other instances),
  // answer each keep-alive connection's next request with Connection:
  // close, close connections idle for 500 ms, and exit once none is
  // left. Node's default would end requests mid-way, and server.close()
  // alone closes idle connections at once, under a client's next request.
  process.on('SIGTERM', function onTerm() {
    if (process.listenerCount('SIGTERM') > 1) return; // the app's own handler decides
    draining = true;
    for (const p of probeServers) p.close();
    let open = servers.size;
    if (open === 0) process.exit(0);
    for (const s of servers) {
      const closeIdle = typeof s.closeIdleConnections === 'function' ? s.closeIdleConnections.bind(s) : null;
      s.closeIdleConnections = () => {}; // keep close() from cutting idle connections now
      s.close(() => { if (--open === 0) process.exit(0); });
      if (closeIdle) setInterval(closeIdle, 500).unref();
    }
  });
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (...args) {
    const port = portOf(args);
    const fd = port === undefined ? undefined : byPort.get(port);
    if (fd === undefined && !(onDemand && port !== undefined)) return listen.apply(this, args);
    const cb = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
    servers.add(this);
    // First in line, so that it runs before the app writes headers.
    this.prependListener('request', (req, res) => {
      if (draining) res.shouldKeepAlive = false; // Connection: close
    });
    const pfd = probeFd.get(port);
    if (pfd !== undefined) {
      // The app's server answers the probe's connections too.
      const ps = net.createServer((sock) => this.emit('connection', sock));
      ps.listen({ fd: pfd });
      probeServers.push(ps);
      probeFd.delete(port);
    }
    this.once('listening', () => {
      if (!toldReady && typeof process.send === 'function') {
        toldReady = true;
        process.send('ready');
      }
    });
    if (fd !== undefined) return cb ? listen.call(this, { fd }, cb) : listen.call(this, { fd });
    const id = ++lastID;
    asked.set(id, (m, handle) => {
      if (m.error || !handle) {
        const err = new Error('listen ' + (m.code || 'EADDRINUSE') + ': ' + (m.error || 'tend passed no socket'));
        err.code = m.code || 'EADDRINUSE';
        err.syscall = 'listen';
        err.port = port;
        this.emit('error', err);
        return;
      }
      if (cb) this.once('listening', cb);
      listen.call(this, { fd: handle.fd });
    });
    if (process.channel) process.channel.ref(); // wait for the answer
    process.send({ type: 'listen', id, port, host: hostOf(args) });
    return this;
  };
}
