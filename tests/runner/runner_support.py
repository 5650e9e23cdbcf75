"""What the output-runner tests share: a real redis-server and a real
webhook-mock, each on a free loopback port in a scratch directory and
stopped after; output-runner processes; the journal read back.

Paths come from the command line: BUILD_DIR (with runner/, plugin/ and
mock_endpoint/ inside)."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build/dev"
RUNNER = os.path.join(BUILD, "runner", "output-runner")
MOCK = os.path.join(BUILD, "mock_endpoint", "webhook-mock")
PLUGIN = os.path.join(BUILD, "plugin", "webhook_output.so")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Scratch:
    """A scratch directory and every process started in it, all gone at exit."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="runner-test-")
        self.path = self._dir.name
        self.processes = []

    def file(self, name):
        return os.path.join(self.path, name)

    def spawn(self, args, name, env=None, stdin=None):
        out = open(self.file(name + ".out"), "wb")
        err = open(self.file(name + ".err"), "wb")
        p = subprocess.Popen(args, stdout=out, stderr=err, stdin=stdin, env=env, cwd=self.path)
        p.name = name
        self.processes.append(p)
        return p

    def text(self, name):
        with open(self.file(name), errors="replace") as f:
            return f.read()

    def close(self):
        for p in self.processes:
            if p.poll() is None:
                p.kill()
            p.wait()
            if p.returncode < 0 and p.returncode != -signal.SIGKILL:  # died of a signal we did not send
                print(f"{p.name} died of signal {-p.returncode}; its stderr ends:\n" +
                      self.text(p.name + ".err")[-3000:], flush=True)
        self._dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Redis:
    def __init__(self, scratch, aof=False, password=None, tls=None):
        self.scratch, self.password, self.tls = scratch, password, tls
        self.port = free_port()
        self.dir = scratch.file(f"redis-{self.port}")
        os.makedirs(self.dir)
        self.args = ["redis-server", "--bind", "127.0.0.1", "--dir", self.dir, "--save", "", "--daemonize", "no",
                     "--appendonly", "yes" if aof else "no", "--appendfsync", "always"]
        if password:
            self.args += ["--requirepass", password]
        if tls:  # tls = (cert, key, ca)
            self.args += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", tls[0],
                          "--tls-key-file", tls[1], "--tls-ca-cert-file", tls[2], "--tls-auth-clients", "no"]
        else:
            self.args += ["--port", str(self.port)]
        self.start()

    @property
    def url(self):
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}"

    def start(self):
        self.process = self.scratch.spawn(self.args, f"redis-{self.port}-{len(self.scratch.processes)}")
        wait_for(lambda: self.ping(), 10, f"redis-server on port {self.port}")

    def ping(self):
        try:
            return self.cli("PING") == "PONG"
        except subprocess.CalledProcessError:
            return False

    def cli(self, *args):
        cmd = ["redis-cli", "-p", str(self.port), "--no-auth-warning"]
        if self.password:
            cmd += ["-a", self.password]
        if self.tls:
            cmd += ["--tls", "--cacert", self.tls[2]]
        return subprocess.run(cmd + list(args), capture_output=True, text=True, check=True).stdout.strip()

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


class Mock:
    def __init__(self, scratch, name="mock"):
        self.journal = scratch.file(name + ".journal")
        self.process = scratch.spawn([MOCK, "--port", "0", "--record-to", self.journal], name)
        out = scratch.file(name + ".out")
        wait_for(lambda: "listening on" in open(out).read(), 10, "webhook-mock")
        self.url = open(out).read().split("listening on ")[1].split()[0]

    def admin(self, method, path, body=None):
        import urllib.request
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()

    def requests(self):
        """Every request received so far: (event_id, webhook-id, status)."""
        if not os.path.exists(self.journal):
            return []
        out = []
        with open(self.journal) as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # being written
                entry = json.loads(line)
                request = entry["request"]
                body = json.loads(request["body"])
                out.append((body.get("event_id"), request["headers"].get("webhook-id"), entry["response"]["status"]))
        return out


def config(scratch, mock_url, name="runner", max_in_flight=256, extra=None, body='{"event_id": "{{event_id}}"}'):
    """A webhook activation delivering `body` ({"event_id": ...}) to mock_url/in."""
    c = {"auth": {"url_prefix": mock_url + "/", "api_key": "runner-test-key"},
         "activation": {"name": name, "url": mock_url + "/in", "body": body},
         "delivery": {"max_in_flight": max_in_flight}}
    for key, value in (extra or {}).items():
        c.setdefault(key, {}).update(value)
    path = scratch.file(name + ".json")
    with open(path, "w") as f:
        json.dump(c, f)
    return path


def records(count, prefix="e"):
    return "".join(json.dumps({"event_id": f"{prefix}-{i}", "profile": {"id": f"u-{i}"}}) + "\n"
                   for i in range(1, count + 1))


def publish(redis, stream, text, env=None, extra=()):
    result = subprocess.run([RUNNER, "publish", "--redis", redis.url, "--stream", stream] +
                            (["--redis-ca", redis.tls[2]] if redis.tls else []) + list(extra),
                            input=text, capture_output=True, text=True, env=env, timeout=120)
    return result


def consume(scratch, redis, stream, consumer, configs, *extra, group="g", env=None):
    args = [RUNNER, "consume", "--redis", redis.url, "--stream", stream, "--group", group, "--consumer", consumer,
            "--plugin", PLUGIN]
    for c in configs:
        args += ["--config", c]
    if redis.tls:
        args += ["--redis-ca", redis.tls[2]]
    return scratch.spawn(args + list(extra), consumer, env=env)


def stop(process, timeout=60):
    """SIGTERM; the exit status."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout)


def summary(scratch, process):
    lines = [l for l in scratch.text(process.name + ".out").splitlines() if l.strip()]
    return json.loads(lines[-1]) if lines else None


class Checks:
    """Collects failed checks, each with its reason; exit 1 at the end if any."""

    def __init__(self):
        self.failures = []

    def that(self, condition, message):
        print(("ok   " if condition else "FAIL ") + message, flush=True)
        if not condition:
            self.failures.append(message)

    def exit(self):
        if self.failures:
            print(f"{len(self.failures)} check(s) failed", flush=True)
            sys.exit(1)
        sys.exit(0)
