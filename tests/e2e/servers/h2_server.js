// node's http2 module in h2c mode (prior knowledge): GET /stream?n=N&ms=M
// answers N chunks M ms apart, like a token stream.
const http2 = require('http2');
const port = Number(process.argv[2]);
const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const url = new URL(headers[':path'], 'http://x');
  const n = Number(url.searchParams.get('n') || 1), ms = Number(url.searchParams.get('ms') || 0);
  if (process.env.H2_LOG) console.log(`stream ${url.pathname}`);
  stream.respond({':status': 200, 'content-type': 'text/plain'});
  let i = 0;
  const tick = () => {
    i++;
    if (i >= n) { stream.end(`token ${i}\n`); return; }
    stream.write(`token ${i}\n`);
    setTimeout(tick, ms);
  };
  tick();
});
server.listen(port, '127.0.0.1', () => console.log('ready'));
