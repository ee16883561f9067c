#include "ringnats/monitor/status_page.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl_view.h"
#include "ringnats/monitor/go_format.h"

namespace ringnats::monitor {
namespace {

// The script only reads /varz, tolerates missing fields (a value it cannot read shows as a
// dash), never throws out of its callbacks, and schedules its next poll only after the
// previous one finished, so a slow server is not flooded.
constexpr char kPage[] = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ringnats monitoring</title>
<link rel="icon" href="data:,">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;padding:12px 16px;background:#f6f7f9;color:#222633}
h1{font-size:1.35rem;margin:0;overflow-wrap:anywhere}
h2{font-size:1rem;margin:18px 0 6px}
#meta{font-size:.85rem;color:#5d6373;margin:4px 0 12px}
#state.down{color:#b3261e;font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px}
.card{background:#fff;border-radius:8px;padding:8px 10px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.label{font-size:.72rem;color:#5d6373;text-transform:uppercase;letter-spacing:.03em}
.value{font-size:1.35rem;margin-top:2px;white-space:nowrap;font-variant-numeric:tabular-nums}
nav a{display:inline-block;margin:3px 12px 3px 0;color:#3b32ca;text-decoration:none}
nav a:hover{text-decoration:underline}
</style>
</head>
<body>
<h1>ringnats <span id="name"></span></h1>
<div id="meta"><span id="state">connecting</span> &middot; <span id="version"></span> &middot; up <span id="uptime">-</span></div>
<div class="grid">
<div class="card"><div class="label">Connections</div><div class="value" id="connections">-</div></div>
<div class="card"><div class="label">Msgs in /s</div><div class="value" id="in_msgs">-</div></div>
<div class="card"><div class="label">Msgs out /s</div><div class="value" id="out_msgs">-</div></div>
<div class="card"><div class="label">Bytes in /s</div><div class="value" id="in_bytes">-</div></div>
<div class="card"><div class="label">Bytes out /s</div><div class="value" id="out_bytes">-</div></div>
<div class="card"><div class="label">Subscriptions</div><div class="value" id="subscriptions">-</div></div>
<div class="card"><div class="label">Auth ok /s</div><div class="value" id="auth_ok">-</div></div>
<div class="card"><div class="label">Auth failed /s</div><div class="value" id="auth_failed">-</div></div>
<div class="card"><div class="label">Auth queue</div><div class="value" id="auth_queue">-</div></div>
<div class="card"><div class="label">Hash p50</div><div class="value" id="hash_p50">-</div></div>
<div class="card"><div class="label">Hash p90</div><div class="value" id="hash_p90">-</div></div>
<div class="card"><div class="label">Hash p99</div><div class="value" id="hash_p99">-</div></div>
<div class="card"><div class="label">Auth wait p99</div><div class="value" id="wait_p99">-</div></div>
<div class="card"><div class="label">Slow consumers</div><div class="value" id="slow">-</div></div>
<div class="card"><div class="label">CPU</div><div class="value" id="cpu">-</div></div>
<div class="card"><div class="label">Memory</div><div class="value" id="mem">-</div></div>
</div>
<h2>Endpoints</h2>
<nav>
<a href="@LINK@varz">General</a>
<a href="@LINK@jsz">JetStream</a>
<a href="@LINK@connz">Connections</a>
<a href="@LINK@accountz">Accounts</a>
<a href="@LINK@accstatz">Account Stats</a>
<a href="@LINK@subsz">Subscriptions</a>
<a href="@LINK@routez">Routes</a>
<a href="@LINK@leafz">LeafNodes</a>
<a href="@LINK@gatewayz">Gateways</a>
<a href="@LINK@healthz">Health Probe</a>
<a href="@LINK@metrics">Prometheus</a>
<a href="https://docs.nats.io/running-a-nats-service/nats_admin/monitoring">Help</a>
</nav>
<script>
(function () {
  "use strict";
  var varzUrl = @VARZ_URL@;
  var previous = null;
  function el(id) { return document.getElementById(id); }
  function show(id, text) { var e = el(id); if (e) { e.textContent = text; } }
  function num(v) { return typeof v === "number" && isFinite(v) ? v : NaN; }
  function get(o, path) {
    for (var i = 0; i < path.length; i++) {
      if (o === null || typeof o !== "object") { return undefined; }
      o = o[path[i]];
    }
    return o;
  }
  function count(n) {
    if (!isFinite(n)) { return "-"; }
    var units = ["", "k", "M", "G", "T"], i = 0;
    while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(1)) + units[i];
  }
  function bytes(n) {
    if (!isFinite(n)) { return "-"; }
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(1)) + " " + units[i];
  }
  function seconds(s) {
    if (!isFinite(s) || s <= 0) { return "-"; }
    if (s < 0.001) { return (s * 1e6).toFixed(0) + " \u00b5s"; }
    if (s < 1) { return (s * 1e3).toFixed(1) + " ms"; }
    return s.toFixed(2) + " s";
  }
  function update(v, at) {
    var auth = get(v, ["ringnats", "auth"]) || {};
    var current = {
      at: at,
      in_msgs: num(v.in_msgs), out_msgs: num(v.out_msgs),
      in_bytes: num(v.in_bytes), out_bytes: num(v.out_bytes),
      auth_ok: num(auth.successes), auth_failed: num(auth.failures)
    };
    show("name", typeof v.server_name === "string" ? v.server_name : "");
    show("version", "nats " + String(v.version) + " / ringnats " +
         String(get(v, ["ringnats", "version"])));
    show("uptime", typeof v.uptime === "string" ? v.uptime : "-");
    show("connections", count(num(v.connections)));
    show("subscriptions", count(num(v.subscriptions)));
    show("auth_queue", count(num(auth.pool_queue_depth)));
    show("hash_p50", seconds(num(get(auth, ["hash_time", "p50_seconds"]))));
    show("hash_p90", seconds(num(get(auth, ["hash_time", "p90_seconds"]))));
    show("hash_p99", seconds(num(get(auth, ["hash_time", "p99_seconds"]))));
    show("wait_p99", seconds(num(get(auth, ["wait_time", "p99_seconds"]))));
    show("slow", count(num(v.slow_consumers)));
    show("cpu", isFinite(num(v.cpu)) ? num(v.cpu).toFixed(1) + " %" : "-");
    show("mem", bytes(num(v.mem)));
    if (previous !== null && current.at > previous.at) {
      var dt = (current.at - previous.at) / 1000;
      var rate = function (key) { return (current[key] - previous[key]) / dt; };
      show("in_msgs", count(rate("in_msgs")));
      show("out_msgs", count(rate("out_msgs")));
      show("in_bytes", bytes(rate("in_bytes")));
      show("out_bytes", bytes(rate("out_bytes")));
      show("auth_ok", count(rate("auth_ok")));
      show("auth_failed", count(rate("auth_failed")));
    }
    previous = current;
  }
  function state(text, down) {
    var e = el("state");
    if (e) { e.textContent = text; e.className = down ? "down" : ""; }
  }
  function poll() {
    var started = Date.now();
    var next = function () { setTimeout(poll, Math.max(0, 1000 - (Date.now() - started))); };
    if (typeof fetch !== "function") { state("this browser cannot poll", true); return; }
    fetch(varzUrl, { cache: "no-store" }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (v) {
      if (v === null || typeof v !== "object") { throw new Error("not an object"); }
      update(v, Date.now());
      state("live", false);
    }).catch(function (e) {
      state("unreachable (" + (e && e.message ? e.message : "error") + ")", true);
    }).then(next, next);
  }
  poll();
})();
</script>
</body>
</html>
)HTML";

std::string HtmlAttribute(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"\"", "&quot;"}, {"<", "&lt;"}, {">", "&gt;"}, {"'", "&#39;"}});
}

}  // namespace

std::string StatusPageHtml(std::string_view base_path_text) {
  const absl::string_view base_path = AbslView(base_path_text);
  // nats-server 2.9.10's links are "." + the endpoint's full path: right under "/" or a
  // one-segment base path, wrong under a deeper one (it repeats the leading segments), and
  // kept so for the same page. The script fetches the absolute path, which always works.
  const std::string prefix = base_path == "/" ? "/" : absl::StrCat(base_path, "/");
  std::string varz_url;
  AppendGoJsonString(&varz_url, absl::StrCat(prefix, "varz"));
  return absl::StrReplaceAll(
      kPage, {{"@LINK@", HtmlAttribute(absl::StrCat(".", prefix))}, {"@VARZ_URL@", varz_url}});
}

}  // namespace ringnats::monitor
