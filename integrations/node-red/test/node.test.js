'use strict';
// The node under node-red-node-test-helper: the build's addon and webhook
// module against a real webhook-mock.
const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const helper = require('node-red-node-test-helper');
const { MODULE, startMock, configFor, record } = require('./mock');
const outputStep = require('../nodes/output-step.js');

helper.init(require.resolve('node-red'));
const API_KEY = 'node-red-secret-key';
let mock;

before(async () => {
  mock = await startMock();
  await new Promise((resolve) => helper.startServer(resolve));
});
after(async () => {
  await new Promise((resolve) => helper.stopServer(resolve));
  await mock.stop();
});
afterEach(async () => {
  await helper.unload();
  await mock.admin('DELETE', '/__admin/mappings');
  await mock.admin('DELETE', '/__admin/requests');
});

function flow(settings) {
  return [
    { id: 'n1', type: 'output-step', module: MODULE, config: configFor(mock.base), wires: [['ok'], ['bad']], ...settings },
    { id: 'ok', type: 'helper' }, { id: 'bad', type: 'helper' },
  ];
}

// Loads the flow; collects what reaches each output, and the node's status
// and error calls.
async function load(settings, credentials = { api_key: API_KEY }) {
  await helper.load(outputStep, flow(settings), { n1: credentials });
  const seen = { ok: [], bad: [], status: [], errors: [] };
  helper.getNode('ok').on('input', (msg) => seen.ok.push(msg));
  helper.getNode('bad').on('input', (msg) => seen.bad.push(msg));
  const n1 = helper.getNode('n1');
  n1.on('call:status', (call) => seen.status.push(call.args[0]));
  n1.on('call:error', (call) => seen.errors.push(String(call.args[0])));
  return { n1, seen };
}

async function until(predicate, what, ms = 15000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a message is delivered with the API key from the credentials, its outcome on msg.webhook', async () => {
  const { n1, seen } = await load({});
  n1.receive({ payload: record(1), topic: 'kept' });
  await until(() => seen.ok.length === 1, 'the delivery');
  const msg = seen.ok[0];
  assert.equal(msg.topic, 'kept');
  assert.equal(msg.webhook.outcome, 'delivered');
  assert.equal(msg.webhook.http_status, 200);
  assert.equal(msg.webhook.attempts, 1);
  assert.equal(msg.webhook.error, null);
  assert.equal(typeof msg.webhook.delivery_id, 'string');
  const [request] = await mock.requests();
  assert.equal(request.request.url, '/hook/u1');
  assert.equal(request.request.headers.Authorization || request.request.headers.authorization, `Bearer ${API_KEY}`);
  assert.equal(request.request.headers['webhook-id'], msg.webhook.delivery_id);
});

test('a failed delivery goes to the second output and says why', async () => {
  await mock.stub({ request: { urlPath: '/hook/u2' }, response: { status: 400 } });
  const { n1, seen } = await load({});
  n1.receive({ payload: JSON.stringify(record(2)) });
  await until(() => seen.bad.length === 1, 'the failure');
  assert.equal(seen.ok.length, 0);
  const { webhook } = seen.bad[0];
  assert.equal(webhook.outcome, 'failed');
  assert.equal(webhook.http_status, 400);
  assert.match(webhook.error, /400/);
  await until(() => seen.status.some((s) => /1 failed/.test(s.text)), 'the failure in the status');
});

test('an invalid configuration is shown on the node with its field', async () => {
  const { n1, seen } = await load({ config: JSON.stringify({ auth: { type: 'td_webhook_out', url_prefix: `${mock.base}/` } }) });
  // The errors were reported while the node was created: read them off the node's spies.
  const errors = n1.error.getCalls().map((c) => String(c.args[0]));
  const status = n1.status.getCalls().map((c) => c.args[0]);
  assert.ok(errors.some((e) => e.startsWith('config: activation: ')), errors.join('\n'));
  assert.equal(status.at(-1).fill, 'red');
  assert.match(status.at(-1).text, /^activation: /);
  n1.receive({ payload: record(3) });
  await until(() => seen.bad.length === 1, 'the refusal');
  assert.equal(seen.bad[0].webhook.error, 'the node is not configured');
});

test('a secret written into the flow configuration is refused', async () => {
  const config = JSON.parse(configFor(mock.base));
  config.auth.api_key = 'in-the-flow';
  const { n1 } = await load({ config: JSON.stringify(config) }, {});
  const errors = n1.error.getCalls().map((c) => String(c.args[0]));
  assert.ok(errors.some((e) => /^config: auth\.api_key: .*API key credential/.test(e)), errors.join('\n'));
  assert.ok(!errors.join('\n').includes('in-the-flow'));
});

test('back-pressure: once the step is busy, up to the queue limit waits, beyond it a message fails as busy', async () => {
  await mock.stub({ request: { urlPathPattern: '/hook/.*' }, response: { status: 200, fixedDelayMilliseconds: 150 } });
  const { n1, seen } = await load({ config: configFor(mock.base, { max_in_flight: 1 }), queueLimit: 3 });
  for (let i = 0; i < 10; ++i) n1.receive({ payload: record(i) });
  await until(() => seen.ok.length + seen.bad.length === 10, 'ten outcomes');
  // One in flight, three waiting; the six beyond them busy, the newest ones.
  assert.deepEqual(seen.ok.map((m) => m.payload.event_id), ['e0', 'e1', 'e2', 'e3']);
  assert.deepEqual(seen.bad.map((m) => m.webhook.error), Array(6).fill('busy'));
  assert.equal(await mock.count({ urlPathPattern: '/hook/.*' }), 4);
});

test('a queue limit of 0 still delivers what the step has room for', async () => {
  const { n1, seen } = await load({ config: configFor(mock.base, { max_in_flight: 2 }), queueLimit: 0 });
  n1.receive({ payload: record(1) });
  n1.receive({ payload: record(2) });
  n1.receive({ payload: record(3) });
  await until(() => seen.ok.length + seen.bad.length === 3, 'three outcomes');
  assert.equal(seen.ok.length, 2);
  assert.equal(seen.bad[0].webhook.error, 'busy');
});

test('a payload that cannot be written as JSON fails with the reason', async () => {
  const { n1, seen } = await load({});
  const cyclic = record(4);
  cyclic.self = cyclic;
  n1.receive({ payload: cyclic });
  await until(() => seen.bad.length === 1, 'the refusal');
  assert.match(seen.bad[0].webhook.error, /cannot be written as JSON/);
});

test('a payload that is not a JSON object fails with the reason', async () => {
  const { n1, seen } = await load({});
  n1.receive({ payload: 42 });
  n1.receive({ payload: '[1, 2]' });
  await until(() => seen.bad.length === 2, 'two refusals');
  assert.match(seen.bad[0].webhook.error, /msg.payload must be a JSON object/);
  assert.match(seen.bad[1].webhook.error, /JSON object/);
});

test('closing runs destroy off the JavaScript thread: its drain of what is in flight blocks nothing', async () => {
  await mock.stub({ request: { urlPathPattern: '/hook/.*' }, response: { status: 200, fixedDelayMilliseconds: 800 } });
  const { n1 } = await load({ config: configFor(mock.base, { max_in_flight: 4 }) });
  const sent = [];
  n1.on('call:send', (call) => sent.push(call.args[0]));
  for (let i = 0; i < 4; ++i) n1.receive({ payload: record(i) });
  await until(async () => (await mock.count({ urlPathPattern: '/hook/.*' })) === 4, 'four requests at the endpoint');
  let last = Date.now();
  let gap = 0;
  const ticker = setInterval(() => { const now = Date.now(); gap = Math.max(gap, now - last); last = now; }, 5);
  const started = Date.now();
  await helper.unload();  // nothing waits: the whole close is destroy's drain
  clearInterval(ticker);
  assert.ok(Date.now() - started >= 300, 'the close did not wait for the drain');
  assert.ok(gap < 250, `the JavaScript thread stood still for ${gap} ms during the close`);
  assert.deepEqual(sent.map(([ok]) => ok && ok.webhook.outcome), Array(4).fill('delivered'));
});

test('closing drains what waits and what is in flight, without blocking the JavaScript thread', async () => {
  await mock.stub({ request: { urlPathPattern: '/hook/.*' }, response: { status: 200, fixedDelayMilliseconds: 100 } });
  const { n1, seen } = await load({ config: configFor(mock.base, { max_in_flight: 4 }) });
  for (let i = 0; i < 20; ++i) n1.receive({ payload: record(i) });
  await until(() => n1.status.getCalls().some((c) => /in flight/.test(c.args[0].text) && !/^0 /.test(c.args[0].text)), 'records in flight');
  // The flow's other nodes are stopped too: what the node sends while it
  // closes is seen on its send (a redeploy of this node alone delivers it
  // downstream: the end-to-end test).
  const sent = [];
  n1.on('call:send', (call) => sent.push(call.args[0]));
  let ticks = 0;
  const ticker = setInterval(() => { ticks += 1; }, 10);
  await helper.unload();  // the node's close: it resolves once done() was called
  clearInterval(ticker);
  // A message sent just as the flow stopped may have reached the helper too: the same message.
  const outcomes = [...new Set([...seen.ok, ...seen.bad, ...sent.map(([ok, bad]) => ok || bad)])];
  assert.equal(outcomes.length, 20);
  assert.deepEqual(outcomes.map((m) => m.webhook.outcome), Array(20).fill('delivered'));
  assert.equal(new Set(outcomes.map((m) => m.payload.event_id)).size, 20);
  assert.ok(ticks >= 10, `the JavaScript thread ticked ${ticks} times while closing`);
});

test('the editor\'s check validates with the module, the stored credential standing in for an unchanged one', async () => {
  await load({});
  const bad = await helper.request().post('/output-step/validate')
    .send({ id: 'n1', module: MODULE, config: '{"auth": {}}', credentials: {} }).expect(200);
  assert.ok(bad.body.errors.some((e) => e.field === 'activation'), JSON.stringify(bad.body));
  const good = await helper.request().post('/output-step/validate')
    .send({ id: 'n1', module: MODULE, config: configFor(mock.base), credentials: { api_key: '__PWRD__' } }).expect(200);
  assert.deepEqual(good.body.errors, []);
  const notJson = await helper.request().post('/output-step/validate')
    .send({ module: MODULE, config: '{', credentials: {} }).expect(200);
  assert.match(notJson.body.errors[0].message, /not JSON/);
});

test('the steps of one process share one delivery runtime: one I/O thread for all of them', async () => {
  const { addon } = require('../lib/addon');
  const fs = require('fs');
  const threads = () => fs.readdirSync('/proc/self/task').length;
  const config = (i) => {
    const c = JSON.parse(configFor(`http://127.0.0.1:${9 + i}`));
    c.auth.api_key = 'k';
    return JSON.stringify(c);
  };
  const { Step } = addon();
  const steps = [new Step(MODULE, config(0), () => {})];
  const withOne = threads();
  for (let i = 1; i < 4; ++i) steps.push(new Step(MODULE, config(i), () => {}));
  assert.equal(threads(), withOne, 'three more steps started threads of their own');
  assert.deepEqual(await Promise.all(steps.map((s) => s.close(100))), [0, 0, 0, 0]);
});
