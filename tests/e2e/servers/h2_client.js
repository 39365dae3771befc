// HTTP/2 client (node's http2 module, h2c prior knowledge): N streaming
// requests on one session and one idle session that made one request
// before. Prints "started" once every stream has its first chunk, then a
// JSON line for each stream and one for each session's GOAWAY and close.
//
//   node h2_client.js PORT STREAMS CHUNKS MS
const http2 = require('http2');
const [port, streams, chunks, ms] = process.argv.slice(2).map(Number);
const url = `http://127.0.0.1:${port}`;
const out = (o) => console.log(JSON.stringify(o));
const now = () => Number(process.hrtime.bigint() / 1000000n) / 1000;

const busy = http2.connect(url);
const idle = http2.connect(url);
for (const [name, s] of [['busy', busy], ['idle', idle]]) {
  s.on('goaway', (code, last) => out({session: name, goaway: code, last, at: now()}));
  s.on('close', () => out({session: name, closed: true, at: now()}));
  s.on('error', (e) => out({session: name, error: e.code}));
}
idle.request({':path': '/stream?n=1&ms=0'}).on('data', () => {}).on('end', () => {
  let begun = 0, done = 0;
  for (let k = 0; k < streams; k++) {
    const req = busy.request({':path': `/stream?n=${chunks}&ms=${ms}`});
    let body = '', first = true;
    req.on('data', (d) => {
      body += d;
      if (first && ++begun === streams) console.log('started');
      first = false;
    });
    req.on('end', () => {
      out({stream: k, tokens: body.split('\n').length - 1, at: now()});
      if (++done === streams) busy.close();
    });
    req.on('error', (e) => out({stream: k, error: e.code}));
  }
});
