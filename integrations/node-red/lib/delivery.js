'use strict';
// Messages in, outcomes out, over one step of the addon: the records that
// arrive together are submitted in one call; once the step answers busy, up
// to `queueLimit` messages wait for room, beyond it a message ends at once
// with error "busy" (until the step takes records again); every message gets exactly one outcome, closing
// included: close() submits what waits, then destroys the step in async
// work while its completions keep arriving on this thread.

const OUTCOMES = ['delivered', 'failed', 'dead_lettered'];
const BATCH = 256;          // records per submit call at most
const BUSY_RETRY_MS = 5;    // busy with nothing in flight (a full spool): try again after

class Delivery {
  // step: an addon Step; onOutcome(entry, webhook) is called once per
  // entry pushed; onLog(level, message) for the module's log lines.
  constructor({ queueLimit, onOutcome, onLog }) {
    this.queueLimit = queueLimit;
    this.onOutcome = onOutcome;
    this.onLog = onLog;
    this.queue = [];            // entries not yet accepted; this.head is the first
    this.head = 0;
    this.inFlight = new Map();  // token -> entry
    this.nextToken = 1;
    this.drainScheduled = false;
    this.retryTimer = null;
    this.closing = false;
    this.busy = false;          // the last submit was refused for room
    this.failures = 0;
    this.delivered = 0;
    this.recovered = 0;
  }

  attach(step) { this.step = step; }

  get waiting() { return this.queue.length - this.head; }

  // entry: { record: Buffer|string, ... } (the rest is the caller's).
  push(entry) {
    if (this.closing) return this.finish(entry, failure('the node is closing'));
    if (this.busy && this.waiting >= this.queueLimit) return this.finish(entry, failure('busy'));
    this.queue.push(entry);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => { this.drainScheduled = false; this.drain(); });
    }
  }

  drain() {
    while (this.waiting > 0) {
      const batch = this.queue.slice(this.head, this.head + BATCH);
      const first = this.nextToken;
      const [status, accepted, reason] = this.step.submit(batch.map((e) => e.record), first);
      for (let i = 0; i < accepted; ++i) this.inFlight.set(first + i, batch[i]);
      this.nextToken += accepted;
      this.head += accepted;
      this.busy = status === 'busy';
      if (status === 'ok') continue;
      if (status === 'busy') {
        // A completion, or a few ms, whichever comes first (the ABI's rule).
        this.retryLater();
        this.dropBeyondLimit();
        break;
      }
      // invalid, closed or error: that record ends here, the rest go on.
      const refused = this.queue[this.head++];
      this.finish(refused, failure(reason || refusal(status)));
    }
    this.compact();
  }

  // What arrived in one burst beyond the limit, the newest first, fails as busy.
  dropBeyondLimit() {
    while (this.waiting > this.queueLimit) this.finish(this.queue.pop(), failure('busy'));
  }

  retryLater() {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.drain(); }, BUSY_RETRY_MS);
  }

  compact() {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  // The addon's events, on this thread: completions and log lines.
  onEvents(completions, logs) {
    for (const log of logs) this.guard(() => this.onLog(log.level, log.message));
    for (const c of completions) {
      const webhook = { outcome: OUTCOMES[c.outcome] || 'failed', http_status: c.http_status,
        attempts: c.attempts, error: c.error, delivery_id: c.delivery_id };
      const entry = this.inFlight.get(c.token);
      if (entry === undefined) {
        // A record an earlier instance accepted, recovered from its spool.
        this.recovered += 1;
        this.guard(() => this.onLog(1, `a record recovered from the spool: ${webhook.outcome}` +
          (webhook.delivery_id ? ` (delivery id ${webhook.delivery_id})` : '')));
        continue;
      }
      this.inFlight.delete(c.token);
      this.guard(() => this.finish(entry, webhook));
    }
    if (this.waiting > 0) this.drain();
    if (this.waitForRoom && this.waiting === 0) this.waitForRoom();
  }

  // A handler that throws must not cost the rest of the batch its outcomes.
  guard(fn) {
    try {
      fn();
    } catch (error) {
      try { this.onLog(3, `an outcome handler threw: ${error && error.message}`); } catch (ignored) { /* nothing more to do */ }
    }
  }

  finish(entry, webhook) {
    if (webhook.outcome === 'delivered') this.delivered += 1; else this.failures += 1;
    this.onOutcome(entry, webhook);
  }

  // Submits what waits (for up to timeoutMs), then destroys the step with
  // what is left of it; resolves with how many records destroy cut short,
  // once every entry has had its outcome.
  async close(timeoutMs) {
    this.closing = true;
    const deadline = Date.now() + timeoutMs;
    if (this.waiting > 0) {
      await new Promise((resolve) => {
        const timer = setTimeout(done, Math.max(0, timeoutMs));
        function done() { clearTimeout(timer); resolve(); }
        this.waitForRoom = done;
        this.drain();
        if (this.waiting === 0) done();
      });
      this.waitForRoom = null;
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    try {
      return await this.step.close(Math.max(0, deadline - Date.now()));
    } finally {
      while (this.waiting > 0) this.guard(() => this.finish(this.queue[this.head++], failure('the node closed before the step had room for it')));
      for (const [token, entry] of this.inFlight) {
        // destroy reports every record it holds; this is for a close that failed
        this.inFlight.delete(token);
        this.guard(() => this.finish(entry, failure('the step closed without reporting this record')));
      }
      this.queue = [];
      this.head = 0;
      this.step = null;  // nothing of the closed step stays reachable from the node
    }
  }
}

function failure(error) {
  return { outcome: 'failed', http_status: 0, attempts: 0, error, delivery_id: null };
}

function refusal(status) {
  if (status === 'closed') return 'the step is closed';
  if (status === 'invalid') return 'the step refused the record';
  return 'the step could not store the record';
}

module.exports = { Delivery, OUTCOMES, failure };
