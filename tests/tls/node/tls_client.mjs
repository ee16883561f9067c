// The nats.js client (npm `nats`, installed in tests/interop/node) over TLS, run by
// node_client_test.cc: connects to --url with the files given, answers a request through a
// subscription on its own connection, and prints one JSON line with what it saw. Exit 0
// when the round trip worked, 2 when the connect or the request failed (the line says why).
//
//   node tls_client.mjs --url tls://127.0.0.1:4222 --ca ca.pem [--cert c.pem --key k.pem]
//                       [--handshake-first]   (start TLS before INFO: a 2.10 server's tls
//                                              { handshake_first })

import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

// The package lives beside the interop tests; this file is outside that tree.
const require = createRequire(new URL('../../interop/node/package.json', import.meta.url));
const { connect, StringCodec } = require('nats');

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'handshake-first': { type: 'boolean' },
  },
});

const sc = StringCodec();
const tls = {};
if (values.ca) tls.caFile = values.ca;
if (values.cert) tls.certFile = values.cert;
if (values.key) tls.keyFile = values.key;
if (values['handshake-first']) tls.handshakeFirst = true;

let nc;
try {
  nc = await connect({ servers: values.url, tls, reconnect: false, timeout: 10000 });
  nc.subscribe('node.tls.echo', {
    callback: (err, m) => {
      if (!err) m.respond(sc.encode(`echo:${sc.decode(m.data)}`));
    },
  });
  const reply = await nc.request('node.tls.echo', sc.encode('hello'), { timeout: 10000 });
  console.log(JSON.stringify({
    ok: true,
    tls_required: nc.info.tls_required === true,
    reply: sc.decode(reply.data),
  }));
  await nc.close();
  process.exit(0);
} catch (err) {
  console.log(JSON.stringify({ ok: false, code: err.code ?? '', error: String(err.message ?? err) }));
  if (nc) await nc.close().catch(() => {});
  process.exit(2);
}
