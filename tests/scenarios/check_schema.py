"""docs/scenario.schema.json, the schema editors use, accepts every scenario
in scenarios/ and refuses a step journey-sim refuses (so it can fail).

Usage: check_schema.py SCHEMA SCENARIO_DIR
"""
import copy
import json
import pathlib
import sys

import jsonschema


def read_scenario(path):
    """A scenario's JSON without its // comment lines (journey-sim allows them);
    a scenario with other comments or trailing commas is reported, not checked."""
    lines = [l for l in path.read_text().splitlines() if not l.lstrip().startswith("//")]
    try:
        return json.loads("\n".join(lines))
    except json.JSONDecodeError as e:
        sys.exit(f"{path.name}: not plain JSON after its // lines ({e}); keep scenarios/ to // comments")


def main():
    schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    files = sorted(pathlib.Path(sys.argv[2]).glob("*.json"))
    if not files:
        sys.exit(f"no scenarios in {sys.argv[2]}")
    failed = 0
    for path in files:
        errors = list(validator.iter_errors(read_scenario(path)))
        for e in errors:
            print(f"{path.name}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        failed += bool(errors)
    branching = read_scenario(pathlib.Path(sys.argv[2]) / "branching-journey.json")
    for bad_step in ({"goto": 3}, {"wait_for": {"event": "x"}}, {"activate": "a", "wait": "1d"},
                     {"if": [], "then": []}, {"exit": False}):
        bad = copy.deepcopy(branching)
        bad["journey"]["stages"][0]["steps"] = [bad_step]
        if validator.is_valid(bad):
            print(f"the schema accepts the step {json.dumps(bad_step)}")
            failed += 1
    print(f"{len(files)} scenarios checked, {failed} problem(s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
