"""output-runner's command line: --help, --version, and exit 2 with a clear
reason for every invalid argument or configuration (before any Redis call).

usage: test_cli.py BUILD_DIR"""
import json
import subprocess

from runner_support import PLUGIN, RUNNER, Checks, Scratch


def run(*args, stdin=""):
    return subprocess.run([RUNNER, *args], capture_output=True, text=True, input=stdin, timeout=30)


def main():
    check = Checks()
    with Scratch() as scratch:
        bad_config = scratch.file("bad.json")
        with open(bad_config, "w") as f:
            json.dump({"auth": {"url_prefix": "http://127.0.0.1:1/", "api_key": "k"},
                       "activation": {"name": "a", "url": "http://127.0.0.1:1/x", "method": "FETCH"}}, f)
        good = ["--redis", "redis://127.0.0.1:1", "--stream", "s", "--group", "g", "--consumer", "c",
                "--plugin", PLUGIN, "--config", bad_config]
        version = run("--version")
        check.that(version.returncode == 0 and version.stdout.startswith("output-runner "), "--version")
        check.that(run("--help").returncode == 0 and "consume" in run("--help").stdout, "--help lists the commands")
        check.that(run("consume", "--help").returncode == 0, "consume --help")
        for args, reason in [
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["consume", "--stream", "s"], "the option '--config' is required"),
            (["consume", *good[:-2], "--config", bad_config, "--batch", "0"], "--batch is 0; allowed: 1 to 10000"),
            (["consume", *good, "--claim-idle-ms", "5"], "--claim-idle-ms is 5; allowed: 100 to 86400000"),
            (["consume", *good, "--metrics-port", "70000"], "--metrics-port is 70000; allowed: 0 to 65535"),
            (["consume", "--redis", "redis://u:hunter2@127.0.0.1", *good[2:]], "set REDIS_PASSWORD instead"),
            (["consume", "--redis", "http://127.0.0.1", *good[2:]], "not a redis:// or rediss:// URL"),
            (["consume", *good, "--redis-ca", "ca.pem"], "--redis-ca is for rediss:// URLs"),
            (["consume", *good], "config: activation.method"),
            (["consume", *good[:-1], scratch.file("missing.json")], "cannot read --config"),
            # A directory is not read as an empty configuration.
            (["consume", *good[:-1], scratch.path], "': Is a directory"),
            (["publish", "--redis", "redis://127.0.0.1:1"], "the option '--stream' is required"),
        ]:
            result = run(*args)
            check.that(result.returncode == 2 and reason in result.stderr,
                       f"{' '.join(args[:2])} ...: exit 2 saying '{reason}' (got {result.returncode}: "
                       f"{result.stderr.strip()[:200]})")
            check.that("hunter2" not in result.stderr + result.stdout, "no password echoed")
    check.exit()


main()
