// The nats.js v2 client (npm `nats`) against the server under test. Every test opens its own
// connections and uses its own subjects, so tests do not observe each other's traffic.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  connect, createInbox, ErrorCode, headers, JSONCodec, StringCodec,
} from 'nats';

import { ServerUnderTest } from './server_under_test.mjs';

const sc = StringCodec();
const kTestTimeoutMs = 30000;

// A subscription whose messages can be awaited one batch at a time. nats.js lets a
// subscription's iterator be consumed only once, so tests that look at a subscription
// repeatedly go through this instead.
class Received {
  #messages = [];
  #waiters = [];

  constructor(nc, subject, opts = {}) {
    this.sub = nc.subscribe(subject, {
      ...opts,
      callback: (err, m) => {
        if (err) {
          this.#waiters.forEach((w) => w.reject(err));
          this.#waiters = [];
          return;
        }
        this.#messages.push(m);
        this.#wake();
      },
    });
  }

  get pending() {
    return this.#messages.length;
  }

  // Resolves with the next `count` messages, in arrival order.
  next(count) {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ count, resolve, reject });
      this.#wake();
    });
  }

  #wake() {
    while (this.#waiters.length > 0 && this.#messages.length >= this.#waiters[0].count) {
      const w = this.#waiters.shift();
      w.resolve(this.#messages.splice(0, w.count));
    }
  }
}

describe(`nats.js client against ${process.env.RINGNATS_SERVER || 'nats-server'}`, () => {
  let server;
  const open = [];

  async function dial(opts = {}) {
    const nc = await connect({ servers: server.url, reconnect: false, ...opts });
    open.push(nc);
    return nc;
  }

  before(async () => {
    server = await ServerUnderTest.start();
  });

  after(async () => {
    await Promise.all(open.map((nc) => (nc.isClosed() ? null : nc.close())));
    await server?.stop();
  });

  test('INFO advertises what the client relies on', { timeout: kTestTimeoutMs }, async () => {
    const nc = await dial();
    assert.equal(typeof nc.info.server_id, 'string');
    assert.ok(nc.info.server_id.length > 0);
    assert.equal(nc.info.headers, true);
    assert.ok(nc.info.max_payload >= 512 * 1024, `max_payload ${nc.info.max_payload}`);
    assert.match(nc.info.version, /^\d+\.\d+\.\d+/);
    assert.ok(nc.info.proto >= 1);
    const rtt = await nc.rtt();
    assert.ok(rtt >= 0);
  });

  test('publish and subscribe across connections', { timeout: kTestTimeoutMs }, async () => {
    const subNc = await dial();
    const pubNc = await dial();
    const sub = new Received(subNc, 'pubsub.basic');
    await subNc.flush();  // The SUB has reached the server before anything is published.

    pubNc.publish('pubsub.basic', sc.encode('one'));
    pubNc.publish('pubsub.basic', sc.encode('two'), { reply: 'pubsub.reply.to' });
    pubNc.publish('pubsub.other', sc.encode('not for us'));
    pubNc.publish('pubsub.basic');
    await pubNc.flush();

    const msgs = await sub.next(3);
    assert.deepEqual(msgs.map((m) => m.subject), Array(3).fill('pubsub.basic'));
    assert.deepEqual(msgs.map((m) => sc.decode(m.data)), ['one', 'two', '']);
    assert.equal(msgs[0].reply, '');
    assert.equal(msgs[1].reply, 'pubsub.reply.to');
    assert.equal(sub.sub.getReceived(), 3);
  });

  test('a connection receives its own messages unless no_echo', { timeout: kTestTimeoutMs },
    async () => {
      const echoNc = await dial();
      const quietNc = await dial({ noEcho: true });
      const echoSub = new Received(echoNc, 'echo.subject');
      const quietSub = new Received(quietNc, 'echo.subject');
      await echoNc.flush();
      await quietNc.flush();

      quietNc.publish('echo.subject', sc.encode('from quiet'));
      echoNc.publish('echo.subject', sc.encode('from echo'));
      await quietNc.flush();
      await echoNc.flush();

      const seenByEcho = await echoSub.next(2);
      assert.deepEqual(seenByEcho.map((m) => sc.decode(m.data)).sort(),
        ['from echo', 'from quiet']);
      const seenByQuiet = await quietSub.next(1);
      assert.equal(sc.decode(seenByQuiet[0].data), 'from echo');
      // A publish the quiet connection would echo to itself must not be delivered; a later
      // message proves the earlier one was skipped rather than late.
      echoNc.publish('echo.subject', sc.encode('marker'));
      await echoNc.flush();
      const next = await quietSub.next(1);
      assert.equal(sc.decode(next[0].data), 'marker');
    });

  test('wildcard subscriptions', { timeout: kTestTimeoutMs }, async () => {
    const nc = await dial();
    const star = new Received(nc, 'wild.*');
    const gt = new Received(nc, 'wild.>');
    const mid = new Received(nc, 'wild.*.end');
    await nc.flush();

    for (const subject of ['wild', 'wild.a', 'wild.a.b', 'wild.b.end', 'other.a', 'wild.c']) {
      nc.publish(subject, sc.encode(subject));
    }
    await nc.flush();

    const subjects = async (received, n) => (await received.next(n)).map((m) => m.subject);
    assert.deepEqual(await subjects(star, 2), ['wild.a', 'wild.c']);
    assert.deepEqual(await subjects(gt, 4), ['wild.a', 'wild.a.b', 'wild.b.end', 'wild.c']);
    assert.deepEqual(await subjects(mid, 1), ['wild.b.end']);
    // Exact counts: a sentinel published last must be the next message each sub sees.
    nc.publish('wild.z.end', sc.encode('sentinel'));
    await nc.flush();
    assert.deepEqual(await subjects(gt, 1), ['wild.z.end']);
    assert.deepEqual(await subjects(mid, 1), ['wild.z.end']);
    assert.equal(star.pending, 0);
  });

  test('queue group delivers each message to exactly one member', { timeout: kTestTimeoutMs },
    async () => {
      const kMessages = 300;
      const conns = [await dial(), await dial(), await dial()];
      const received = new Map();  // payload -> number of queue members that got it
      let queueTotal = 0;
      let allIn;
      const allInPromise = new Promise((resolve) => {
        allIn = resolve;
      });
      const perMember = [];
      conns.forEach((nc, i) => {
        perMember.push(0);
        nc.subscribe('work.items', {
          queue: 'workers',
          callback: (err, m) => {
            assert.equal(err, null);
            const key = sc.decode(m.data);
            received.set(key, (received.get(key) || 0) + 1);
            perMember[i] += 1;
            queueTotal += 1;
            if (queueTotal === kMessages) {
              allIn();
            }
          },
        });
      });
      // A plain subscriber beside the group still sees every message.
      const watcher = new Received(conns[0], 'work.items');
      await Promise.all(conns.map((nc) => nc.flush()));

      const pub = await dial();
      for (let i = 0; i < kMessages; i++) {
        pub.publish('work.items', sc.encode(`item-${i}`));
      }
      await pub.flush();

      const watched = await watcher.next(kMessages);
      assert.equal(watched.length, kMessages);
      await allInPromise;
      // Round trips on every member connection let any duplicate still in flight arrive.
      await Promise.all(conns.map((nc) => nc.flush()));
      assert.equal(queueTotal, kMessages);
      assert.equal(received.size, kMessages);
      for (const [key, count] of received) {
        assert.equal(count, 1, `${key} delivered ${count} times`);
      }
      // nats-server picks a member at random; 300 messages all landing on two of three members
      // has probability (2/3)^300, so an idle member means the group is not being balanced.
      perMember.forEach((n, i) => assert.ok(n > 0, `member ${i} got nothing: ${perMember}`));
    });

  test('request and reply', { timeout: kTestTimeoutMs }, async () => {
    const responder = await dial();
    responder.subscribe('svc.echo', {
      callback: (err, m) => {
        assert.equal(err, null);
        m.respond(sc.encode(`echo:${sc.decode(m.data)}`));
      },
    });
    await responder.flush();

    const requester = await dial();
    const reply = await requester.request('svc.echo', sc.encode('hello'), { timeout: 5000 });
    assert.equal(sc.decode(reply.data), 'echo:hello');

    // Many requests in flight share the muxed inbox; each must come back to its own caller.
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      requester.request('svc.echo', sc.encode(`r${i}`), { timeout: 5000 })));
    replies.forEach((r, i) => assert.equal(sc.decode(r.data), `echo:r${i}`));

    // Old-style request: a dedicated inbox subscription per request.
    const direct = await requester.request('svc.echo', sc.encode('direct'),
      { timeout: 5000, noMux: true });
    assert.equal(sc.decode(direct.data), 'echo:direct');
  });

  test('request with a manual inbox and several responders', { timeout: kTestTimeoutMs },
    async () => {
      const nc = await dial();
      const responders = [await dial(), await dial()];
      responders.forEach((r, i) => r.subscribe('svc.many', {
        callback: (_err, m) => m.respond(sc.encode(`responder-${i}`)),
      }));
      await Promise.all(responders.map((r) => r.flush()));

      const inbox = createInbox();
      const replies = new Received(nc, inbox);
      await nc.flush();
      nc.publish('svc.many', sc.encode('ask'), { reply: inbox });
      const got = await replies.next(2);
      assert.deepEqual(got.map((m) => sc.decode(m.data)).sort(), ['responder-0', 'responder-1']);
    });

  test('headers are carried and read back', { timeout: kTestTimeoutMs }, async () => {
    const nc = await dial();
    const sub = new Received(nc, 'hdr.subject');
    await nc.flush();

    const h = headers();
    h.set('X-Single', 'value one');
    h.append('X-Multi', 'a');
    h.append('X-Multi', 'b');
    h.set('X-Empty-Payload', 'yes');
    nc.publish('hdr.subject', sc.encode('with headers'), { headers: h });
    const only = headers();
    only.set('X-Only', 'no payload');
    nc.publish('hdr.subject', undefined, { headers: only });
    nc.publish('hdr.subject', sc.encode('plain'));
    await nc.flush();

    const [first, second, third] = await sub.next(3);
    assert.equal(sc.decode(first.data), 'with headers');
    assert.ok(first.headers);
    assert.equal(first.headers.get('X-Single'), 'value one');
    assert.deepEqual(first.headers.values('X-Multi'), ['a', 'b']);
    assert.equal(first.headers.has('X-Absent'), false);

    assert.equal(second.data.length, 0);
    assert.equal(second.headers.get('X-Only'), 'no payload');

    assert.equal(sc.decode(third.data), 'plain');
    assert.equal(third.headers, undefined);
  });

  test('headers on request and reply', { timeout: kTestTimeoutMs }, async () => {
    const responder = await dial();
    responder.subscribe('svc.headers', {
      callback: (_err, m) => {
        const out = headers();
        out.set('X-Seen', m.headers?.get('X-Ask') ?? 'missing');
        m.respond(m.data, { headers: out });
      },
    });
    await responder.flush();

    const nc = await dial();
    const ask = headers();
    ask.set('X-Ask', 'question');
    const reply = await nc.request('svc.headers', sc.encode('body'), { timeout: 5000, headers: ask });
    assert.equal(sc.decode(reply.data), 'body');
    assert.equal(reply.headers.get('X-Seen'), 'question');
  });

  test('a request nobody answers fails with no responders', { timeout: kTestTimeoutMs },
    async () => {
      const nc = await dial();
      await assert.rejects(
        nc.request('nobody.listens.here', sc.encode('hello?'), { timeout: 5000 }),
        (err) => {
          assert.equal(err.code, ErrorCode.NoResponders);
          return true;
        });
      await assert.rejects(
        nc.request('nobody.listens.here', sc.encode('hello?'), { timeout: 5000, noMux: true }),
        (err) => {
          assert.equal(err.code, ErrorCode.NoResponders);
          return true;
        });
      // The connection stays usable after the error.
      const sub = new Received(nc, 'after.no.responders');
      nc.publish('after.no.responders', sc.encode('still here'));
      const [m] = await sub.next(1);
      assert.equal(sc.decode(m.data), 'still here');
    });

  test('many messages arrive complete and in order', { timeout: kTestTimeoutMs }, async () => {
    const kMessages = 10000;
    const subNc = await dial();
    const sub = new Received(subNc, 'ordered.stream');
    await subNc.flush();
    const pub = await dial();
    for (let i = 0; i < kMessages; i++) {
      pub.publish('ordered.stream', sc.encode(String(i)));
    }
    await pub.flush();
    const got = await sub.next(kMessages);
    got.forEach((m, i) => assert.equal(sc.decode(m.data), String(i)));
  });

  test('a 512 KiB payload round trips intact', { timeout: kTestTimeoutMs }, async () => {
    const payload = new Uint8Array(512 * 1024);
    for (let i = 0; i < payload.length; i++) {
      payload[i] = (i * 31 + 7) & 0xff;
    }
    const responder = await dial();
    responder.subscribe('big.echo', { callback: (_err, m) => m.respond(m.data) });
    await responder.flush();
    const nc = await dial();
    const reply = await nc.request('big.echo', payload, { timeout: 10000 });
    assert.equal(reply.data.length, payload.length);
    assert.ok(Buffer.from(reply.data).equals(Buffer.from(payload)));
  });

  test('auto-unsubscribe after max messages', { timeout: kTestTimeoutMs }, async () => {
    const nc = await dial();
    const sub = nc.subscribe('limited.subject', { max: 5 });
    await nc.flush();
    for (let i = 0; i < 10; i++) {
      nc.publish('limited.subject', sc.encode(String(i)));
    }
    await nc.flush();
    const got = [];
    for await (const m of sub) {  // Ends by itself after the fifth message.
      got.push(sc.decode(m.data));
    }
    assert.deepEqual(got, ['0', '1', '2', '3', '4']);
    assert.equal(sub.isClosed(), true);
  });

  test('flush round trip orders publishes before later traffic', { timeout: kTestTimeoutMs },
    async () => {
      const subNc = await dial();
      const sub = new Received(subNc, 'flush.subject');
      await subNc.flush();
      const pub = await dial();
      pub.publish('flush.subject', sc.encode('a'));
      pub.publish('flush.subject', sc.encode('b'));
      await pub.flush();
      // After the publisher's flush the server has routed both messages; the subscriber's own
      // flush returns only after they were written to it.
      await subNc.flush();
      assert.equal(sub.pending, 2);
      const got = await sub.next(2);
      assert.deepEqual(got.map((m) => sc.decode(m.data)), ['a', 'b']);
    });

  test('subscription drain delivers what was published before it', { timeout: kTestTimeoutMs },
    async () => {
      const kMessages = 200;
      const nc = await dial();
      let handled = 0;
      const sub = nc.subscribe('drain.sub', {
        callback: () => {
          handled += 1;
        },
      });
      await nc.flush();
      const pub = await dial();
      for (let i = 0; i < kMessages; i++) {
        pub.publish('drain.sub', sc.encode(String(i)));
      }
      await pub.flush();
      await sub.drain();
      assert.equal(handled, kMessages);
      assert.equal(sub.isClosed(), true);
      // Drained means unsubscribed on the server too: a later publish reaches nobody.
      await assert.rejects(pub.request('drain.sub', sc.encode('x'), { timeout: 5000 }),
        (err) => err.code === ErrorCode.NoResponders);
    });

  test('connection drain finishes work and closes', { timeout: kTestTimeoutMs }, async () => {
    const kMessages = 200;
    const nc = await dial();
    let handled = 0;
    nc.subscribe('drain.conn', {
      callback: () => {
        handled += 1;
      },
    });
    nc.subscribe('drain.conn.svc', { callback: (_err, m) => m.respond(m.data) });
    await nc.flush();
    const pub = await dial();
    for (let i = 0; i < kMessages; i++) {
      pub.publish('drain.conn', sc.encode(String(i)));
    }
    await pub.flush();
    const closed = nc.closed();
    await nc.drain();
    assert.equal(await closed, undefined);  // Closed cleanly, not with an error.
    assert.equal(nc.isClosed(), true);
    assert.equal(handled, kMessages);
    await assert.rejects(pub.request('drain.conn.svc', sc.encode('x'), { timeout: 5000 }),
      (err) => err.code === ErrorCode.NoResponders);
  });

  test('JSON codec round trip', { timeout: kTestTimeoutMs }, async () => {
    const jc = JSONCodec();
    const responder = await dial();
    responder.subscribe('json.svc', {
      callback: (_err, m) => {
        const req = jc.decode(m.data);
        m.respond(jc.encode({ got: req, sum: req.numbers.reduce((a, b) => a + b, 0) }));
      },
    });
    await responder.flush();

    const nc = await dial();
    const value = {
      text: 'grüße, 世界 \u2603 "quoted" \\ back',
      numbers: [1, -2, 3.5, 1e21],
      nested: { flag: true, nothing: null, list: [{ a: 1 }, []] },
      empty: '',
    };
    const reply = await nc.request('json.svc', jc.encode(value), { timeout: 5000 });
    const out = jc.decode(reply.data);
    assert.deepEqual(out.got, value);
    assert.equal(out.sum, 1 - 2 + 3.5 + 1e21);
  });

  test('unsubscribe removes interest on the server', { timeout: kTestTimeoutMs }, async () => {
    const nc = await dial();
    const gone = nc.subscribe('unsub.subject');
    const kept = new Received(nc, 'unsub.kept');
    await nc.flush();
    gone.unsubscribe();
    await nc.flush();
    // Seen from another connection, nobody listens on the subject any more.
    const other = await dial();
    await assert.rejects(other.request('unsub.subject', sc.encode('x'), { timeout: 5000 }),
      (err) => err.code === ErrorCode.NoResponders);
    other.publish('unsub.kept', sc.encode('still delivered'));
    const [m] = await kept.next(1);
    assert.equal(sc.decode(m.data), 'still delivered');
    assert.equal(gone.getReceived(), 0);
  });
});
