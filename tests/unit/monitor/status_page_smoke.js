// Runs the status page's script under Node with a minimal DOM, timer and fetch: the page
// polls /varz, shows rates once it has two samples, and survives failed polls and documents
// missing fields, all without throwing. Usage: node status_page_smoke.js page.html
"use strict";
const fs = require("fs");
const vm = require("vm");

const html = fs.readFileSync(process.argv[2], "utf8");
const script = html.match(/<script>([\s\S]*?)<\/script>/)[1];
const elements = {};
for (const m of html.matchAll(/id="([^"]+)">([^<]*)</g)) {
  elements[m[1]] = { textContent: m[2], className: "" };
}

let now = 1000000;
const timers = [];
const fetched = [];
const answers = [];
const varz = (n) => ({
  server_name: "test-server", version: "2.9.10", uptime: "1m5s",
  connections: 3, subscriptions: 7, slow_consumers: 0, cpu: 12.5, mem: 3 * 1048576,
  in_msgs: 1000 * n, out_msgs: 2000 * n, in_bytes: 50000 * n, out_bytes: 100000 * n,
  ringnats: { version: "0.1.0", auth: {
    successes: 10 * n, failures: n, pool_queue_depth: 4,
    hash_time: { p50_seconds: 0.08, p90_seconds: 0.12, p99_seconds: 0.3 },
    wait_time: { p99_seconds: 0.0004 } } },
});
answers.push(() => Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(varz(1)) }));
answers.push(() => Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(varz(3)) }));
answers.push(() => Promise.reject(new Error("connection refused")));
answers.push(() => Promise.resolve({ ok: false, status: 503, json: () => Promise.resolve({}) }));
answers.push(() => Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve({ ringnats: null }) }));
answers.push(() => Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(null) }));

const context = {
  document: { getElementById: (id) => elements[id] || null },
  setTimeout: (fn, ms) => { timers.push({ fn, ms }); },
  fetch: (url, options) => { fetched.push(url); return answers.shift()(); },
  Date: { now: () => now },
  Math, String, Number, Error, Promise, isFinite, JSON,
};
let failures = 0;
function check(condition, message) {
  if (!condition) { failures++; console.error("FAIL: " + message); }
}
process.on("unhandledRejection", (e) => { failures++; console.error("unhandled rejection", e); });

async function settle() { for (let i = 0; i < 20; i++) await Promise.resolve(); }
async function step() {
  const timer = timers.shift();
  check(timer !== undefined, "a next poll was scheduled");
  if (!timer) return;
  check(timer.ms >= 0 && timer.ms <= 1000, "poll delay within a second: " + timer.ms);
  now += 2000;
  timer.fn();
  await settle();
}

(async () => {
  vm.runInNewContext(script, context);
  await settle();
  check(fetched[0] === process.argv[3], "fetches " + process.argv[3] + ", got " + fetched[0]);
  check(elements.state.textContent === "live", "live after the first poll");
  check(elements.connections.textContent === "3", "connections: " + elements.connections.textContent);
  check(elements.hash_p50.textContent === "80.0 ms", "hash p50: " + elements.hash_p50.textContent);
  check(elements.wait_p99.textContent === "400 \u00b5s", "wait p99: " + elements.wait_p99.textContent);
  check(elements.auth_queue.textContent === "4", "queue: " + elements.auth_queue.textContent);
  check(elements.in_msgs.textContent === "-", "no rate from one sample");
  await step();
  // Two seconds apart, 2000 more messages in: 1000/s.
  check(elements.in_msgs.textContent === "1.0k", "msgs in/s: " + elements.in_msgs.textContent);
  check(elements.out_msgs.textContent === "2.0k", "msgs out/s: " + elements.out_msgs.textContent);
  check(elements.in_bytes.textContent === "48.8 KiB", "bytes in/s: " + elements.in_bytes.textContent);
  check(elements.auth_ok.textContent === "10", "auth/s: " + elements.auth_ok.textContent);
  check(elements.mem.textContent === "3.0 MiB", "mem: " + elements.mem.textContent);
  await step();
  check(elements.state.className === "down", "a failed poll shows as down");
  await step();
  check(elements.state.textContent.indexOf("503") >= 0, "HTTP status shown: " + elements.state.textContent);
  await step();
  check(elements.state.textContent === "live", "a document without fields still renders");
  check(elements.hash_p50.textContent === "-", "missing values show as a dash");
  await step();
  check(elements.state.className === "down", "a null document counts as a failure");
  check(timers.length === 1, "polling goes on");
  if (failures > 0) process.exit(1);
  console.log("ok");
})().catch((e) => { console.error(e); process.exit(1); });
