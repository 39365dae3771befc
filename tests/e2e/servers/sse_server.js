// node's http module streaming Server-Sent Events, the shape of an LLM
// token stream, and answering plain keep-alive requests.
//   /sse?events=N&gap=MS   N events, MS ms apart (text/event-stream, chunked)
//   /slow?ms=N             "ok" after N ms     /   "ok" at once
//   /download?size=N       N bytes with Content-Length
// No SIGTERM handler of its own. Prints "ready" once listening.
const http = require('http');
const port = Number(process.argv[2]);

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const q = (name, dflt) => Number(url.searchParams.get(name) || dflt);
  if (url.pathname === '/sse') {
    res.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache'});
    let sent = 0;
    const total = q('events', 3);
    const next = () => {
      res.write(`data: token ${sent}\n\n`);
      if (++sent === total) res.end();
      else setTimeout(next, q('gap', 1000));
    };
    next();
  } else if (url.pathname === '/download') {
    const size = q('size', 1000000);
    res.writeHead(200, {'Content-Length': size});
    res.end(Buffer.alloc(size, 'x'));
  } else {
    setTimeout(() => {
      res.setHeader('Content-Type', 'text/plain');
      res.end('ok');
    }, q('ms', 0));
  }
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => console.log('ready'));
