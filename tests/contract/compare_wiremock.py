#!/usr/bin/env python3
"""The same admin-API calls against webhook-mock and against WireMock itself,
compared: status codes and the JSON that clients read.

Usage: compare_wiremock.py WEBHOOK_MOCK WIREMOCK_JAR_OR_DIR
(a directory is searched for wiremock-standalone-*.jar)
Exits 77 (skipped) when the WireMock jar or Java is missing, 1 on any
difference, 0 when both agree on every call.
"""
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, headers=None):
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)


def wait_ready(base, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            status, _, _ = call(base, "GET", "/__admin/mappings")
            if status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def as_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


# What clients read from each answer, without ids, dates, hosts or ports.
def view_requests(doc):
    return [
        {
            "method": e["request"]["method"],
            "url": e["request"]["url"],
            "body": e["request"].get("body"),
            "bodyAsBase64": e["request"].get("bodyAsBase64"),
            "wasMatched": e.get("wasMatched"),
            "status": e.get("responseDefinition", {}).get("status"),
            "header_x": e["request"]["headers"].get("X-Test"),
            "query": e["request"].get("queryParams"),
        }
        for e in doc["requests"]
    ] + [doc.get("meta"), doc.get("requestJournalDisabled")]


def view_logged(doc):
    return sorted((r["method"], r["url"], r.get("body")) for r in doc["requests"])


def view_stub(doc):
    return {"request": doc.get("request"), "response": doc.get("response"), "priority": doc.get("priority"),
            "has_id": bool(doc.get("id")) and doc.get("id") == doc.get("uuid")}


def view_mappings(doc):
    return [doc["meta"]] + [view_stub(m) for m in doc["mappings"]]


def view_errors(doc):
    return [(e.get("code"), e.get("title"), (e.get("source") or {}).get("pointer")) for e in doc["errors"]][:1]


def view_scenarios(doc):
    return sorted((s["name"], s["state"], sorted(s["possibleStates"])) for s in doc["scenarios"])


def view_count(doc):
    return doc["count"]


STUB_A = {"request": {"method": "POST", "urlPath": "/hook", "headers": {"X-Test": {"equalTo": "a"}}},
          "response": {"status": 201, "body": "ok", "headers": {"X-R": "y"}}, "priority": 2}
STUB_JSON = {"request": {"method": "POST", "urlPathPattern": "/orders/[0-9]+",
                         "bodyPatterns": [{"matchesJsonPath": {"expression": "$.items[*].sku", "equalTo": "X1"}},
                                          {"equalToJson": {"user": {"id": "u1"}}, "ignoreExtraElements": True}]},
             "response": {"status": 202, "jsonBody": {"accepted": True}}}
STUB_SCENARIO_1 = {"scenarioName": "flaky", "requiredScenarioState": "Started", "newScenarioState": "ok",
                   "request": {"method": "POST", "url": "/s"}, "response": {"status": 503}}
STUB_SCENARIO_2 = {"scenarioName": "flaky", "requiredScenarioState": "ok",
                   "request": {"method": "POST", "url": "/s"}, "response": {"status": 200}}
ORDER = json.dumps({"user": {"id": "u1", "name": "Ann"}, "items": [{"sku": "Y2"}, {"sku": "X1"}]})

# (method, path, body, headers, view of the JSON answer or None for status only)
STEPS = [
    ("POST", "/__admin/reset", "", None, None),
    ("POST", "/__admin/mappings", json.dumps(STUB_A), None, view_stub),
    ("POST", "/__admin/mappings", json.dumps(STUB_JSON), None, view_stub),
    ("POST", "/__admin/mappings", json.dumps(STUB_SCENARIO_1), None, view_stub),
    ("POST", "/__admin/mappings", json.dumps(STUB_SCENARIO_2), None, view_stub),
    ("GET", "/__admin/mappings", None, None, view_mappings),
    ("POST", "/hook?x=1&x=2", '{"a":1}', {"X-Test": "a"}, None),
    ("POST", "/hook", '{"a":2}', {"X-Test": "b"}, None),
    ("POST", "/orders/17", ORDER, {"Content-Type": "application/json"}, None),
    ("POST", "/orders/18", '{"user": {"id": "u2"}, "items": [{"sku": "X1"}]}', None, None),
    ("GET", "/nowhere", None, None, None),
    ("POST", "/s", "", None, None),
    ("POST", "/s", "", None, None),
    ("GET", "/__admin/scenarios", None, None, view_scenarios),
    ("POST", "/__admin/scenarios/reset", "", None, None),
    ("POST", "/s", "", None, None),
    ("GET", "/__admin/requests", None, None, view_requests),
    ("GET", "/__admin/requests?limit=2", None, None, view_requests),
    ("POST", "/__admin/requests/count", json.dumps({"method": "POST", "urlPath": "/hook"}), None, view_count),
    ("POST", "/__admin/requests/count", json.dumps({"headers": {"X-Test": {"matches": "[ab]"}}}), None, view_count),
    ("POST", "/__admin/requests/count", json.dumps({"bodyPatterns": [{"contains": "sku"}]}), None, view_count),
    ("POST", "/__admin/requests/count", json.dumps({"queryParameters": {"x": {"equalTo": "2"}}}), None, view_count),
    ("POST", "/__admin/requests/count", json.dumps({"bodyPatterns": [{"equalToJson": '{"a": 1}'}]}), None, view_count),
    ("POST", "/__admin/requests/count",
     json.dumps({"bodyPatterns": [{"equalToJson": {"items": [{"sku": "X1"}, {"sku": "Y2"}]}, "ignoreArrayOrder": True,
                                   "ignoreExtraElements": True}]}), None, view_count),
    ("POST", "/__admin/requests/count", json.dumps({"bodyPatterns": [{"matchesJsonPath": "$['user']['name']"}]}), None, view_count),
    ("POST", "/__admin/requests/count", json.dumps({"bodyPatterns": [{"matchesJsonPath": "$.items[1].sku"}]}), None, view_count),
    ("POST", "/__admin/requests/count", json.dumps({"headers": {"x-test": {"equalTo": "A", "caseInsensitive": True}}}), None, view_count),
    ("POST", "/__admin/requests/count", json.dumps({"headers": {"X-Test": {"absent": True}}}), None, view_count),
    ("POST", "/__admin/requests/find", json.dumps({"method": "POST", "urlPathPattern": "/orders/.*"}), None, view_logged),
    ("GET", "/__admin/requests/unmatched", None, None, view_logged),
    ("POST", "/__admin/mappings", "{not json", None, view_errors),
    ("POST", "/__admin/mappings", json.dumps({"request": {"headers": {"A": {"bogus": "1"}}}}), None, view_errors),
    ("POST", "/__admin/mappings", json.dumps({"request": {"url": "/x"}, "response": {"status": "abc"}}), None, view_errors),
    ("POST", "/__admin/mappings", json.dumps({"bogusTop": 1}), None, view_errors),
    ("POST", "/__admin/requests/count", json.dumps({"bodyPatterns": [{"nope": 1}]}), None, view_errors),
    ("GET", "/__admin/mappings/00000000-0000-0000-0000-000000000000", None, None, None),
    ("DELETE", "/__admin/mappings/00000000-0000-0000-0000-000000000000", None, None, None),
    ("DELETE", "/__admin/requests", None, None, None),
    ("GET", "/__admin/requests", None, None, view_requests),
    ("DELETE", "/__admin/mappings", None, None, None),
    ("GET", "/__admin/mappings", None, None, view_mappings),
    ("POST", "/__admin/mappings/reset", "", None, None),
]


def run(base):
    results = []
    for method, path, body, headers, view in STEPS:
        status, text, _ = call(base, method, path, body, headers)
        doc = as_json(text) if view else None
        results.append((status, view(doc) if view and doc is not None else None))
    return results


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    mock_path, jar = sys.argv[1], sys.argv[2]
    if os.path.isdir(jar):
        found = sorted(glob.glob(os.path.join(jar, "**", "wiremock-standalone-*.jar"), recursive=True))
        jar = found[-1] if found else jar
    if not os.path.isfile(jar) or shutil.which("java") is None:
        print(f"skipped: WireMock jar '{jar}' or java not available (make wiremock installs it)")
        return 77
    wm_port = free_port()
    # WireMock keeps mappings/ and __files/ under its root: a directory of
    # its own, not wherever the test runs.
    root = tempfile.mkdtemp(prefix="wiremock-compare-")
    wiremock = subprocess.Popen(["java", "-jar", jar, "--port", str(wm_port), "--bind-address", "127.0.0.1",
                                 "--disable-banner", "--root-dir", root],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ours = subprocess.Popen([mock_path, "--port", "0", "--default-status", "404"], stdout=subprocess.PIPE, text=True)
    try:
        line = ours.stdout.readline().strip()
        if not line.startswith("listening on "):
            print(f"webhook-mock did not start: {line!r}", file=sys.stderr)
            return 1
        ours_base = line[len("listening on "):]
        wm_base = f"http://127.0.0.1:{wm_port}"
        if not wait_ready(wm_base):
            print("WireMock did not start within 60 s", file=sys.stderr)
            return 1
        theirs = run(wm_base)
        mine = run(ours_base)
        differences = 0
        for (method, path, _, _, _), a, b in zip(STEPS, theirs, mine):
            if a != b:
                differences += 1
                print(f"DIFFERENT {method} {path}\n  WireMock:     {a}\n  webhook-mock: {b}")
        print(f"{len(STEPS) - differences} passed, {differences} failed")
        return 1 if differences else 0
    finally:
        for p in (ours, wiremock):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
