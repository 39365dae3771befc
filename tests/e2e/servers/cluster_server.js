// node's cluster module in its default mode on Linux (round-robin): the
// primary listens and accepts, and hands each connection to a worker over
// IPC (SCM_RIGHTS); the workers never listen nor accept. Each worker
// serves sse_server.js's routes. No SIGTERM handler anywhere. The primary
// prints "cluster ready" once every worker is listening.
const cluster = require('cluster');
const path = require('path');

if (cluster.isPrimary) {
  const workers = Number(process.env.CLUSTER_WORKERS || 2);
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === workers) console.log('cluster ready');
  });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  require(path.join(__dirname, 'sse_server.js'));
}
