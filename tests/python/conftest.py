"""Fixtures for the binding's tests: the build's webhook module and a real
webhook-mock on a free loopback port. The build directory comes from
$WO_BUILD_DIR (set by CTest); the package from the source tree's python/."""
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

BUILD = os.environ["WO_BUILD_DIR"]
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

MODULE = os.path.join(BUILD, "plugin", "webhook_output.so")
API_KEY = "py-binding-secret-key"


class Mock:
    def __init__(self, base):
        self.base = base

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def count(self, pattern):
        return self.admin("POST", "/__admin/requests/count", pattern)["count"]

    def stub(self, mapping):
        return self.admin("POST", "/__admin/mappings", mapping)

    def config(self, **delivery):
        config = {"auth": {"type": "td_webhook_out", "url_prefix": self.base + "/", "api_key": API_KEY},
                  "activation": {"name": "python", "url": self.base + "/py/{{profile.id}}",
                                 "headers": {"Authorization": "Bearer {{auth.api_key}}"},
                                 "body": "{\"event\": \"{{event.name}}\"}"}}
        if delivery:
            config["delivery"] = delivery
        return config


@pytest.fixture
def mock(tmp_path):
    out = open(tmp_path / "mock.out", "w+")
    process = subprocess.Popen([os.path.join(BUILD, "mock_endpoint", "webhook-mock"), "--port", "0"],
                               stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        base = None
        for _ in range(200):
            out.seek(0)
            for line in out.read().splitlines():
                if line.startswith("listening on "):
                    base = line[len("listening on "):]
            if base:
                break
            time.sleep(0.025)
        assert base, "webhook-mock did not start"
        yield Mock(base)
    finally:
        process.terminate()
        process.wait(timeout=10)
        out.close()


def record(i, **extra):
    return {"event_id": f"e{i}", "profile": {"id": f"u{i}"}, "event": {"name": "signup"}, **extra}
