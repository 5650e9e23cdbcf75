'use strict';
// A real Node-RED (npm node-red, started headless with its own user
// directory on a free loopback port) runs a flow through the node: 1,000
// messages delivered to webhook-mock, the node redeployed mid-stream (every
// message still gets exactly one outcome), then a second batch under the
// new configuration, then a stop.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { MODULE, startMock, configFor } = require('./mock');

const API_KEY = 'e2e-secret-api-key';
const PACKAGE = path.join(__dirname, '..');

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(predicate, what, ms = 60000) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function flowFor(base, outFile, header) {
  const config = JSON.parse(configFor(base, { max_in_flight: 8 }));
  config.activation.headers['X-Deploy'] = header;
  const fan = 'for (let i = 0; i < msg.payload.count; i++) {\n' +
    '  node.send({ payload: { event_id: msg.payload.prefix + i, profile: { id: msg.payload.prefix + i }, event: { name: "e2e" } } });\n' +
    '}\nreturn null;';
  const line = 'msg.payload = JSON.stringify({ id: msg.payload.event_id, outcome: msg.webhook.outcome, error: msg.webhook.error });\nreturn msg;';
  const inject = (id, count, prefix) => ({ id, type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: JSON.stringify({ count, prefix }),
    payloadType: 'json', repeat: '', once: false, wires: [['fan']] });
  return [
    { id: 'tab', type: 'tab', label: 'e2e' },
    inject('start-a', 1000, 'a'), inject('start-b', 100, 'b'),
    { id: 'fan', type: 'function', z: 'tab', func: fan, outputs: 1, wires: [['hook']] },
    { id: 'hook', type: 'output-step', z: 'tab', name: 'webhook', module: MODULE, config: JSON.stringify(config),
      queueLimit: 10000, closeTimeout: 10, wires: [['line'], ['line']] },
    { id: 'line', type: 'function', z: 'tab', func: line, outputs: 1, wires: [['out']] },
    { id: 'out', type: 'file', z: 'tab', filename: outFile, filenameType: 'str', appendNewline: true, createDir: false,
      overwriteFile: 'false', encoding: 'none', wires: [] },
  ];
}

async function startNodeRed(userDir, port) {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  fs.symlinkSync(PACKAGE, path.join(userDir, 'node_modules', 'node-red-contrib-output-step'));
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify({
    uiHost: '127.0.0.1', uiPort: port, flowFile: 'flows.json', credentialSecret: 'e2e-credential-secret',
    logging: { console: { level: 'info' } }, editorTheme: { tours: false }, externalModules: { autoInstall: false },
  })};\n`);
  const red = path.join(PACKAGE, 'node_modules', 'node-red', 'red.js');
  const child = spawn(process.execPath, [red, '--settings', path.join(userDir, 'settings.js'), '--userDir', userDir],
    { cwd: userDir, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = { text: '' };
  child.stdout.on('data', (chunk) => { log.text += chunk; });
  child.stderr.on('data', (chunk) => { log.text += chunk; });
  await until(() => /Server now running at/.test(log.text) || child.exitCode !== null, 'Node-RED to start', 60000);
  assert.equal(child.exitCode, null, log.text);
  return { child, log };
}

test('Node-RED delivers 1,000 messages, survives a redeploy mid-stream with one outcome each, and stops', async () => {
  const mock = await startMock();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-e2e-'));
  const outFile = path.join(userDir, 'outcomes.ndjson');
  fs.writeFileSync(outFile, '');
  const port = await freePort();
  const admin = `http://127.0.0.1:${port}`;
  const red = await startNodeRed(userDir, port);
  try {
    await mock.stub({ request: { urlPathPattern: '/hook/.*' }, response: { status: 200, fixedDelayMilliseconds: 30 } });
    const flows = flowFor(mock.base, outFile, '1');
    flows.find((n) => n.id === 'hook').credentials = { api_key: API_KEY };
    const deploy = async (nodes, type) => {
      const response = await fetch(`${admin}/flows`, { method: 'POST', body: JSON.stringify(nodes),
        headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': type } });
      assert.equal(response.status, 204, await response.text());
    };
    const started = () => (red.log.text.match(/Started (flows|modified nodes)/g) || []).length;
    const startedBefore = started();  // the empty flow of the start
    await deploy(flows, 'full');
    await until(() => started() > startedBefore, 'the flows to start');
    // Whole lines only: the file node may be writing the last one.
    const outcomes = () => fs.readFileSync(outFile, 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l));
    assert.equal((await fetch(`${admin}/inject/start-a`, { method: 'POST' })).status, 200);
    await until(() => outcomes().length >= 150, '150 outcomes');
    // Only the webhook node changes (a header): it closes with records in flight and waiting.
    const before = outcomes().length;
    const startedAgain = started();
    await deploy(flowFor(mock.base, outFile, '2'), 'nodes');
    await until(() => started() > startedAgain, 'the modified node to start');
    await until(() => outcomes().length >= 1000, '1,000 outcomes');
    assert.ok(before < 1000, `${before} outcomes before the redeploy: it was not mid-stream`);
    const first = outcomes();
    assert.equal(first.length, 1000);
    assert.equal(new Set(first.map((o) => o.id)).size, 1000, 'each message exactly once');
    assert.deepEqual([...new Set(first.map((o) => o.outcome))], ['delivered'], JSON.stringify(first.find((o) => o.outcome !== 'delivered')));
    assert.equal(await mock.count({ urlPathPattern: '/hook/a.*' }), 1000);

    // The redeployed node runs the new configuration, with the credentials kept.
    assert.equal((await fetch(`${admin}/inject/start-b`, { method: 'POST' })).status, 200);
    await until(() => outcomes().length >= 1100, 'the second batch');
    assert.equal(outcomes().filter((o) => o.id.startsWith('b') && o.outcome === 'delivered').length, 100);
    assert.equal(new Set(outcomes().map((o) => o.id)).size, 1100, 'each message of both batches exactly once');
    assert.equal(await mock.count({ urlPathPattern: '/hook/b.*', headers: { 'X-Deploy': { equalTo: '2' },
      Authorization: { equalTo: `Bearer ${API_KEY}` } } }), 100);

    // The API key is in no flow file and no log; the credentials file holds it encrypted.
    for (const file of ['flows.json', 'flows_cred.json']) {
      assert.ok(!fs.readFileSync(path.join(userDir, file), 'utf8').includes(API_KEY), `${file} holds the key`);
    }
    assert.ok(!red.log.text.includes(API_KEY));
  } finally {
    const exited = red.child.exitCode !== null || red.child.signalCode !== null
      ? Promise.resolve({ code: red.child.exitCode, signal: red.child.signalCode })
      : new Promise((resolve) => red.child.on('exit', (code, signal) => resolve({ code, signal })));
    red.child.kill('SIGTERM');
    red.stopped = await exited;
    await mock.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  const { code, signal } = red.stopped;
  assert.ok(code === 0 || signal === 'SIGTERM', `Node-RED exited with ${code} ${signal}\n${red.log.text}`);
  assert.ok(/Stopped flows/.test(red.log.text), red.log.text);
});
