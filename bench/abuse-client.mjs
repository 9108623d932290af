// The abusive client of bench:abuse, in a process of its own that the bench starts at the lowest CPU
// priority: it stands for a client on another machine, so its own work should not be what slows the
// neighbour down. Reads its job as JSON on stdin; writes autocannon's result as JSON on stdout.
import process from 'node:process';
import autocannon from 'autocannon';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { url, connections, duration, token, bodies } = JSON.parse(input);
const result = await autocannon({
  url,
  connections,
  duration,
  requests: bodies.map((body) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  })),
});
process.stdout.write(JSON.stringify({ requests: result.requests, statusCodeStats: result.statusCodeStats }));
