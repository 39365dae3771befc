// A plain node HTTP server with keep-alive. GET /slow?ms=N answers after N ms.
// With "handler" as the second argument it installs its own SIGTERM handler,
// which reports how many requests were still in flight when it ran.
const http = require('http');
const port = Number(process.argv[2]);
const withHandler = process.argv[3] === 'handler';
let inFlight = 0;

const logRequests = !!process.env.NODE_LOG_REQUESTS;

const server = http.createServer((req, res) => {
  inFlight++;
  if (logRequests) console.log(`request ${req.url}`);
  const url = new URL(req.url, 'http://localhost');
  const ms = Number(url.searchParams.get('ms') || 0);
  setTimeout(() => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(`done ${ms}\n`, () => { inFlight--; });
  }, ms);
});
server.keepAliveTimeout = 60000;

if (withHandler) {
  process.on('SIGTERM', () => {
    console.log(`handler ran: in flight ${inFlight}`);
    server.close(() => process.exit(0));
  });
}

server.listen(port, '127.0.0.1', () => console.log('ready'));
