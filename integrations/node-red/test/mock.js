'use strict';
// A real webhook-mock for the tests, on a free loopback port in a scratch
// directory: $WO_BUILD_DIR/mock_endpoint/webhook-mock (CTest sets it).
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const BUILD = process.env.WO_BUILD_DIR;
if (!BUILD) throw new Error('set WO_BUILD_DIR to the build directory (CTest does)');
const MODULE = path.join(BUILD, 'plugin', 'webhook_output.so');
process.env.OUTPUT_STEP_NODE_ADDON = process.env.OUTPUT_STEP_NODE_ADDON ||
  path.join(BUILD, 'integrations', 'node-red', 'output_step.node');

async function startMock() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-mock-'));
  const child = spawn(path.join(BUILD, 'mock_endpoint', 'webhook-mock'), ['--port', '0'], { cwd: dir });
  let output = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`webhook-mock did not start: ${output}`)), 10000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const m = /listening on (\S+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => reject(new Error(`webhook-mock exited (${code}): ${output}`)));
  });
  const admin = async (method, url, body) => {
    const response = await fetch(base + url, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  };
  return {
    base,
    admin,
    stub: (mapping) => admin('POST', '/__admin/mappings', mapping),
    count: async (pattern) => (await admin('POST', '/__admin/requests/count', pattern)).count,
    requests: async () => (await admin('GET', '/__admin/requests')).requests,
    stop: () => new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', () => { fs.rmSync(dir, { recursive: true, force: true }); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}

// The plugin's configuration for an activation posting to the mock.
function configFor(base, delivery) {
  const config = {
    auth: { type: 'td_webhook_out', url_prefix: `${base}/` },
    activation: { name: 'node-red', url: `${base}/hook/{{profile.id}}`,
      headers: { Authorization: 'Bearer {{auth.api_key}}' }, body: '{"event": "{{event.name}}"}' },
  };
  if (delivery) config.delivery = delivery;
  return JSON.stringify(config);
}

function record(i) {
  return { event_id: `e${i}`, profile: { id: `u${i}` }, event: { name: 'signup' } };
}

module.exports = { BUILD, MODULE, startMock, configFor, record };
