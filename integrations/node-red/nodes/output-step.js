'use strict';
// The Node-RED node "output-step": each message's payload is a record that
// the configured output-step module (by default the installed webhook
// output) delivers; output 1 gets the delivered ones, output 2 the failed
// and dead-lettered ones, each with msg.webhook = {outcome, http_status,
// attempts, error, delivery_id}.
const { addon } = require('../lib/addon');
const { resolveModule } = require('../lib/module-path');
const { buildConfig, SECRETS } = require('../lib/config');
const { Delivery, failure } = require('../lib/delivery');

const DEFAULT_QUEUE_LIMIT = 10000;
const DEFAULT_CLOSE_TIMEOUT_S = 10;
const STATUS_EVERY_MS = 250;

// The record of a payload, or {error} saying why there is none.
function record(payload) {
  if (Buffer.isBuffer(payload) || typeof payload === 'string') return { record: payload };
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    try {
      return { record: JSON.stringify(payload) };
    } catch (error) {  // a cycle, a BigInt
      return { error: `msg.payload cannot be written as JSON: ${error.message}` };
    }
  }
  return { error: 'msg.payload must be a JSON object (an object, or its JSON text)' };
}


function numberSetting(value, fallback, min, what) {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`${what} must be a number >= ${min} (got ${JSON.stringify(value)})`);
  return n;
}

// Validates what the editor holds: [{field, message}] ([] when valid).
function check(modulePath, configText, credentials) {
  const built = buildConfig(configText, credentials);
  if (built.errors.length) return built.errors;
  return addon().validate(resolveModule(modulePath), built.text);
}

module.exports = function register(RED) {
  function OutputStepNode(settings) {
    RED.nodes.createNode(this, settings);
    const node = this;
    let delivery;
    try {
      delivery = start(node, settings);
    } catch (error) {
      const first = (error.errors && error.errors[0]) || { field: '', message: error.message };
      for (const e of error.errors || [first]) node.error(e.field ? `config: ${e.field}: ${e.message}` : `config: ${e.message}`);
      node.status({ fill: 'red', shape: 'ring', text: first.field ? `${first.field}: ${first.message}` : first.message });
    }
    node.on('input', (msg, send, done) => {
      const { record: text, error } = record(msg.payload);
      const entry = { msg, send, done, record: text };
      if (!delivery) return finish(entry, failure('the node is not configured'));
      if (error) return delivery.finish(entry, failure(error));
      delivery.push(entry);
      node.showStatus();
    });
    node.on('close', (removed, done) => {
      if (!delivery) return done();
      clearInterval(node.statusTimer);
      delivery.close(delivery.closeTimeoutMs).then((cutShort) => {
        if (cutShort > 0) node.warn(`closing cut ${cutShort} records short (reported on output 2)`);
        done();
      }, (error) => { node.error(`close: ${error.message}`); done(); });
    });
  }

  function finish(entry, webhook) {
    entry.msg.webhook = webhook;
    entry.send(webhook.outcome === 'delivered' ? [entry.msg, null] : [null, entry.msg]);
    entry.done();
  }

  // The close timeout, below Node-RED's own (nodeCloseTimeout, 15 s by
  // default), so that the drain ends before Node-RED gives up on the node.
  function closeTimeoutMs(node, settings) {
    const wanted = numberSetting(settings.closeTimeout, DEFAULT_CLOSE_TIMEOUT_S, 0, 'Close timeout') * 1000;
    const limit = Math.max(0, (Number(RED.settings.nodeCloseTimeout) || 15000) - 1000);
    if (wanted <= limit) return wanted;
    node.warn(`Close timeout ${wanted / 1000} s is cut to ${limit / 1000} s: Node-RED gives a node ` +
      `${limit / 1000 + 1} s to close (nodeCloseTimeout)`);
    return limit;
  }

  function start(node, settings) {
    const modulePath = resolveModule(settings.module);
    const built = buildConfig(settings.config, node.credentials);
    if (built.errors.length) throw Object.assign(new Error('invalid configuration'), { errors: built.errors });
    const refused = addon().validate(modulePath, built.text);  // every error at once, before anything starts
    if (refused.length) throw Object.assign(new Error('invalid configuration'), { errors: refused });
    const closeTimeout = closeTimeoutMs(node, settings);
    const delivery = new Delivery({
      queueLimit: numberSetting(settings.queueLimit, DEFAULT_QUEUE_LIMIT, 0, 'Queue limit'),
      onOutcome: finish,
      onLog: (level, message) => {
        if (level >= 3) node.error(message); else if (level === 2) node.warn(message);
        else if (level === 1) node.log(message); else node.debug(message);
      },
    });
    delivery.closeTimeoutMs = closeTimeout;
    let shown = '';
    node.showStatus = () => {
      const inFlight = delivery.inFlight.size + delivery.waiting;
      const text = `${inFlight} in flight` + (delivery.failures ? `, ${delivery.failures} failed` : '');
      if (text === shown) return;
      shown = text;
      node.status({ fill: delivery.failures ? 'yellow' : 'green', shape: inFlight ? 'dot' : 'ring', text });
    };
    const step = new (addon().Step)(modulePath, built.text, (c, l) => { delivery.onEvents(c, l); node.showStatus(); },
      `node-red output-step ${node.id}`, 'node-red');
    delivery.attach(step);
    node.statusTimer = setInterval(node.showStatus, STATUS_EVERY_MS);
    node.showStatus();
    return delivery;
  }

  const credentials = {};
  for (const secret of SECRETS) credentials[secret.credential] = { type: 'password' };
  RED.nodes.registerType('output-step', OutputStepNode, { credentials });

  // The editor's "Check" button: the form's module and configuration, and
  // its credentials (a password the form did not change comes as
  // "__PWRD__": the stored one is used).
  RED.httpAdmin.post('/output-step/validate', RED.auth.needsPermission('output-step.write'), (req, res) => {
    const body = req.body || {};
    const stored = (body.id && RED.nodes.getCredentials(body.id)) || {};
    const creds = {};
    for (const secret of SECRETS) {
      const given = body.credentials && body.credentials[secret.credential];
      creds[secret.credential] = given === '__PWRD__' ? stored[secret.credential] : given;
    }
    try {
      res.json({ errors: check(body.module, body.config, creds) });
    } catch (error) {
      res.json({ errors: [{ field: '', message: error.message }] });
    }
  });
};
