"""output-runner over TLS to redis-server --tls-port (a CA made here), with
a password from REDIS_PASSWORD that appears in no output; /metrics read by
Prometheus's own parser (python3-prometheus-client); --trim leaves only what
a group still needs; a wrong CA and a wrong password fail with the reason.

usage: test_tls_metrics.py BUILD_DIR"""
import os
import subprocess
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from runner_support import RUNNER, Checks, Mock, Redis, Scratch, config, consume, publish, records, stop, summary, wait_for

PASSWORD = "s3cret-redis-pw"
COUNT = 500


def make_certificates(scratch, name):
    """A CA and a certificate for 127.0.0.1 signed by it: (cert, key, ca)."""
    ca_key, ca, key, csr, cert = (scratch.file(f"{name}.{x}") for x in ("ca.key", "ca.pem", "key", "csr", "pem"))
    ext = scratch.file(f"{name}.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
        "-out", ca, "-days", "1", "-subj", f"/CN={name} test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "1",
        "-extfile", ext)
    return cert, key, ca


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(r.read().decode()) for s in family.samples}


def main():
    check = Checks()
    with Scratch() as scratch:
        tls = make_certificates(scratch, "redis")
        redis = Redis(scratch, password=PASSWORD, tls=tls)
        mock = Mock(scratch)
        env = dict(os.environ, REDIS_PASSWORD=PASSWORD)
        published = publish(redis, "s", records(COUNT), env=env)
        check.that(published.returncode == 0, f"published over TLS: {published.stdout} {published.stderr}")
        cfg = config(scratch, mock.url, name="tls")
        runner = consume(scratch, redis, "s", "r1", [cfg], "--metrics-port", "0", "--trim", env=env)
        wait_for(lambda: len(mock.requests()) >= COUNT, 60, "every record delivered")
        wait_for(lambda: int(redis.cli("XLEN", "s")) <= 1, 20, "the stream trimmed")
        err = scratch.file("r1.err")
        wait_for(lambda: "metrics at" in open(err).read(), 10, "the metrics address")
        port = int(open(err).read().split("127.0.0.1:")[1].split("/")[0])
        wait_for(lambda: scrape(port)[("output_runner_group_pending", (("consumer", "r1"), ("group", "g"),
                                                                      ("stream", "s")))] == 0, 10, "pending 0")
        m = scrape(port)
        a = (("activation", "tls"),)
        runner_labels = (("consumer", "r1"), ("group", "g"), ("stream", "s"))
        check.that(m[("output_runner_records_delivered_total", a)] == COUNT, "metrics: delivered counter")
        check.that(m[("output_runner_records_submitted_total", a)] == COUNT, "metrics: submitted counter")
        check.that(m[("output_runner_delivery_latency_seconds_count", a)] == COUNT, "metrics: latency histogram count")
        check.that(m[("output_runner_delivery_latency_seconds_bucket", a + (("le", "+Inf"),))] == COUNT,
                   "metrics: the +Inf bucket holds every observation")
        check.that(m[("output_runner_entries_consumed_total", runner_labels)] == COUNT, "metrics: consumed")
        check.that(m[("output_runner_group_lag", runner_labels)] == 0, "metrics: lag 0")
        check.that(stop(runner) == 0, "the runner exits 0")
        check.that(summary(scratch, runner)["delivered"] == COUNT, "summary: every record delivered")

        other = make_certificates(scratch, "other")
        wrong_ca = subprocess.run([RUNNER, "publish", "--redis", redis.url, "--stream", "s", "--redis-ca", other[2]],
                                  input=records(1), capture_output=True, text=True, env=env)
        check.that(wrong_ca.returncode == 1 and "certificate verify failed" in wrong_ca.stderr,
                   f"a CA that did not sign the server's certificate: {wrong_ca.stderr.strip()}")
        wrong_pw = publish(redis, "s", records(1), env=dict(os.environ, REDIS_PASSWORD="not-the-password"))
        check.that(wrong_pw.returncode == 1 and "AUTH refused by Redis: WRONGPASS" in wrong_pw.stderr,
                   f"a wrong password: {wrong_pw.stderr.strip()}")
        check.that("not-the-password" not in wrong_pw.stderr + wrong_pw.stdout, "the wrong password is not echoed")
        outputs = "".join(scratch.text(p.name + x) for p in scratch.processes if p.name.startswith("r")
                          for x in (".out", ".err"))
        check.that(PASSWORD not in outputs and PASSWORD not in published.stderr, "the password in no output")
    check.exit()


main()
