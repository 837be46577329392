#!/usr/bin/env node
// ling-loadgen: load from outside the project's Rust stack.
//
// Node.js and the `ws` package speak Ling's public protocol (HTTP + JSON and
// one WebSocket per device, docs/protocol.md) to a running server, the way an
// independent load generator does. Pairs of friends; one side of each pair
// sends 100-byte texts to the other.
//
//   closed loop: each sender keeps --inflight sends unacknowledged, sending
//                the next when an ack comes; latency from the actual send.
//   open loop:   sends are scheduled at --rate in all (evenly spread over the
//                senders) whatever the server does; latency is taken from the
//                *scheduled* time, so a stalled server shows as latency
//                instead of hiding it (no coordinated omission).
//
// It reports sends, acks (the server acks once a message is durably stored)
// and deliveries per second over the sending window, delivery latency
// percentiles, frames that arrived out of seq order, duplicates, and, after
// a drain, whether every acked message is stored (last_seq) and was delivered
// exactly once. With --server-pid it reads the server's CPU time from /proc.
//
//   node loadgen.mjs --base http://127.0.0.1:7878 --pairs 50 --mode closed --inflight 10 --secs 20
//   node loadgen.mjs --base http://127.0.0.1:7878 --pairs 50 --mode open --rate 10000 --secs 20
//   --ids ordered: time-ordered client_msg_ids (like UUIDv7) instead of random UUIDv4s

import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

function parseArgs(argv) {
  const opts = {
    base: 'http://127.0.0.1:7878',
    pairs: 50,
    mode: 'closed',
    inflight: 10,
    rate: 10000,
    secs: 20,
    size: 100,
    drainSecs: 10,
    serverPid: 0,
    password: 'loadgen-password',
    ids: 'random',
  };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in opts)) throw new Error(`unknown option ${argv[i]}`);
    const value = argv[i + 1];
    opts[key] = typeof opts[key] === 'number' ? Number(value) : value;
  }
  if (opts.mode !== 'closed' && opts.mode !== 'open') throw new Error('--mode is closed or open');
  if (opts.ids !== 'random' && opts.ids !== 'ordered') throw new Error('--ids is random or ordered');
  return opts;
}

const opts = parseArgs(process.argv);
const wsBase = opts.base.replace(/^http/, 'ws');

async function api(method, path, token, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const resp = await fetch(opts.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`${method} ${path}: ${resp.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

async function register(name) {
  const r = await api('POST', '/v1/auth/register', null, { username: name, password: opts.password, device_name: 'loadgen' });
  return { id: r.user.id, token: r.session.token };
}

async function befriend(a, b) {
  const req = await api('POST', '/v1/friend-requests', a.token, { user_id: b.id });
  await api('POST', `/v1/friend-requests/${req.id}/accept`, b.token, {});
  const friends = await api('GET', '/v1/friends', a.token);
  return friends.find((f) => f.user.id === b.id).conversation_id;
}

async function lastSeq(account, conversation) {
  const list = await api('GET', '/v1/conversations', account.token);
  return list.conversations.find((c) => c.id === conversation).last_seq;
}

function connect(account) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/v1/ws`, { headers: { authorization: `Bearer ${account.token}` }, perMessageDeflate: false });
    ws.once('message', (data) => {
      const hello = JSON.parse(data.toString());
      if (hello.type !== 'hello') reject(new Error(`no hello: ${data}`));
      else resolve(ws);
    });
    ws.once('error', reject);
  });
}

/** Server CPU seconds so far (utime + stime), or null. */
function cpuSecs(pid) {
  if (!pid) return null;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * q))];
}

async function main() {
  const run = randomUUID().slice(0, 8);
  console.log(`ling-loadgen: ${opts.base}, ${opts.pairs} pairs, ${opts.mode} loop` +
    (opts.mode === 'closed' ? `, ${opts.inflight} in flight per sender` : `, ${opts.rate} msg/s offered`) +
    `, ${opts.size}-byte texts, ${opts.secs} s`);
  const pairs = [];
  for (let i = 0; i < opts.pairs; i += 4) {
    const made = await Promise.all(Array.from({ length: Math.min(4, opts.pairs - i) }, async (_, k) => {
      const a = await register(`lg${run}a${i + k}`);
      const b = await register(`lg${run}b${i + k}`);
      const conversation = await befriend(a, b);
      return { a, b, conversation };
    }));
    pairs.push(...made);
  }
  for (const p of pairs) {
    p.startSeq = await lastSeq(p.a, p.conversation);
    p.tx = await connect(p.a);
    p.rx = await connect(p.b);
    Object.assign(p, { sent: 0, acked: 0, ackedInWindow: 0, delivered: 0, deliveredInWindow: 0, lastSeen: p.startSeq, outOfOrder: 0, jumps: 0, duplicates: 0, refused: 0 });
  }

  const pad = 'x'.repeat(Math.max(0, opts.size - 2));
  const sentAt = new Map(); // client_msg_id -> the time the latency is measured from
  const seenIds = new Set();
  const latencies = [];
  let windowOpen = true;
  let sending = true;

  // client_msg_ids: random UUIDv4s (what many clients make), or ordered by
  // time like UUIDv7 (what the protocol recommends).
  let counter = 0;
  const newId = opts.ids === 'random' ? randomUUID
    : () => `${Date.now().toString(16).padStart(12, '0')}-7${(counter++).toString(16).padStart(11, '0')}-${randomUUID().slice(24)}`;
  const send = (p, at) => {
    const id = newId();
    sentAt.set(id, at);
    p.sent += 1;
    p.tx.send(`{"type":"send","client_msg_id":"${id}","conversation_id":${p.conversation},"content":{"kind":"text","text":"${pad.slice(0, opts.size - 2)}"}}`);
  };

  for (const p of pairs) {
    p.tx.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type === 'ack') {
        p.acked += 1;
        if (windowOpen) p.ackedInWindow += 1;
        if (opts.mode === 'closed' && sending) send(p, performance.now());
      } else if (f.type === 'error') {
        p.refused += 1;
        if (p.refused <= 3) console.error(`refused: ${f.code} ${f.message}`);
      }
    });
    p.rx.on('message', (data) => {
      const now = performance.now();
      const f = JSON.parse(data.toString());
      if (f.type !== 'message' || f.message.conversation_id !== p.conversation) return;
      const m = f.message;
      if (seenIds.has(m.client_msg_id)) { p.duplicates += 1; return; }
      seenIds.add(m.client_msg_id);
      if (m.seq < p.lastSeen) p.outOfOrder += 1;
      else if (m.seq !== p.lastSeen + 1) p.jumps += 1;
      p.lastSeen = Math.max(p.lastSeen, m.seq);
      p.delivered += 1;
      const at = sentAt.get(m.client_msg_id);
      if (at !== undefined) {
        sentAt.delete(m.client_msg_id);
        if (windowOpen) { p.deliveredInWindow += 1; latencies.push(now - at); }
      }
    });
  }

  const cpu0 = cpuSecs(opts.serverPid);
  const usage0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + opts.secs * 1000;
  if (opts.mode === 'closed') {
    for (const p of pairs) for (let k = 0; k < opts.inflight; k++) send(p, performance.now());
  } else {
    // Sender i's k-th message is due at t0 + (k + i / P) * interval.
    const interval = (1000 * pairs.length) / opts.rate;
    const tick = () => {
      const now = Math.min(performance.now(), end);
      pairs.forEach((p, i) => {
        const offset = (i / pairs.length) * interval;
        const due = Math.floor((now - t0 - offset) / interval) + 1;
        while (p.sent < due) send(p, t0 + offset + p.sent * interval);
      });
      if (performance.now() < end) setTimeout(tick, 1);
    };
    tick();
  }
  await new Promise((r) => setTimeout(r, opts.secs * 1000));
  sending = false;
  windowOpen = false;
  const secs = (performance.now() - t0) / 1000;
  const cpu1 = cpuSecs(opts.serverPid);
  const usage1 = process.cpuUsage(usage0);
  const sum = (k) => pairs.reduce((s, p) => s + p[k], 0);
  const [sent, acked, delivered] = [sum('sent'), sum('ackedInWindow'), sum('deliveredInWindow')];

  // Drain: wait until every send is answered and delivered, or give up.
  const drainEnd = performance.now() + opts.drainSecs * 1000;
  while (performance.now() < drainEnd && (sum('acked') + sum('refused') < sum('sent') || sum('delivered') < sum('acked'))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  let stored = 0;
  let lost = 0;
  for (const p of pairs) {
    const n = (await lastSeq(p.a, p.conversation)) - p.startSeq;
    stored += n;
    if (n < p.acked) lost += p.acked - n;
  }
  latencies.sort((a, b) => a - b);
  const ms = (x) => x.toFixed(1);
  console.log(`sent ${sent} (${(sent / secs).toFixed(0)}/s), acked ${acked} (${(acked / secs).toFixed(0)}/s), ` +
    `delivered ${delivered} (${(delivered / secs).toFixed(0)}/s) in ${secs.toFixed(1)} s`);
  console.log(`delivery latency: n=${latencies.length} p50=${ms(percentile(latencies, 0.5))} ms p95=${ms(percentile(latencies, 0.95))} ms ` +
    `p99=${ms(percentile(latencies, 0.99))} ms max=${ms(latencies.at(-1) ?? 0)} ms` +
    (opts.mode === 'open' ? ' (from the scheduled send time)' : ''));
  console.log(`order: ${sum('outOfOrder')} out of seq order, ${sum('jumps')} jumps ahead, ${sum('duplicates')} duplicates`);
  console.log(`after drain: ${sum('sent')} sent, ${sum('acked')} acked, ${sum('refused')} refused, ${sum('delivered')} delivered, ` +
    `${stored} stored, ${lost} acked but not stored`);
  const genCpu = (usage1.user + usage1.system) / 1e6;
  let line = `generator CPU: ${(100 * genCpu / secs).toFixed(0)} % of a core`;
  if (cpu0 !== null) {
    const serverCpu = cpu1 - cpu0;
    line += `; server CPU: ${(100 * serverCpu / secs).toFixed(0)} % of a core, ${(1e6 * serverCpu / Math.max(1, delivered)).toFixed(0)} µs per delivered message`;
  }
  console.log(line);
  for (const p of pairs) { p.tx.close(); p.rx.close(); }
  const ok = lost === 0 && sum('duplicates') === 0 && sum('outOfOrder') === 0 && sum('delivered') === sum('acked');
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => { console.error(e); process.exit(2); });
