#!/usr/bin/env python3
"""Validate recorded protocol exchanges against `schemas/protocol/`.

Usage: validate_protocol.py PAIRS.ndjson

Each line of the file is `{"request": <the request as sent, or null when it was not JSON>,
"response": <the server's answer>}`. For each pair:
- a response with `"ok": true` must pass `<op>.response.json`, and its request
  `<op>.request.json` (the server accepted it, so the request schema must too);
- a response with `"ok": false` must pass `error.json` (and `<op>.response.json` when the op
  is known);
- the response echoes the request's `id`, and has none when the request had none.

Prints one line per failure, then `protocol: N passed, M failed`; exits 1 on any failure or
when the file holds no pair. Needs `jsonschema` (with `referencing`) and the standard library.
"""

import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "schemas" / "protocol"


def load_registry():
    schemas = {}
    for path in sorted(PROTOCOL.glob("*.json")):
        schemas[path.name] = json.loads(path.read_text(encoding="utf-8"))
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return schemas, registry


def validator(schemas, registry, name):
    schema = schemas.get(name)
    if schema is None:
        return None
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def first_error(v, instance):
    errors = sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    e = errors[0]
    where = "/".join(str(p) for p in e.absolute_path) or "(root)"
    return f"{where}: {e.message[:300]}"


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2])
        return 2
    schemas, registry = load_registry()
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = validator(schemas, registry, name)
        return cache[name]

    passed, failures = 0, []
    lines = Path(argv[1]).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        pair = json.loads(line)
        request, response = pair.get("request"), pair.get("response")
        label = f"pair {number}"
        op = request.get("op") if isinstance(request, dict) else None
        if isinstance(op, str):
            label += f" ({op})"
        problems = []
        if not isinstance(response, dict) or not isinstance(response.get("ok"), bool):
            problems.append("response is not an object with a boolean ok")
        elif response["ok"]:
            for kind, instance in (("response", response), ("request", request)):
                v = get(f"{op}.{kind}.json") if isinstance(op, str) else None
                if v is None:
                    problems.append(f"no schema {op}.{kind}.json for an accepted request")
                    continue
                error = first_error(v, instance)
                if error:
                    problems.append(f"{kind} fails {op}.{kind}.json: {error}")
        else:
            names = ["error.json"] + ([f"{op}.response.json"] if isinstance(op, str) and get(f"{op}.response.json") else [])
            for name in names:
                error = first_error(get(name), response)
                if error:
                    problems.append(f"response fails {name}: {error}")
        if isinstance(response, dict):
            sent = request.get("id") if isinstance(request, dict) else None
            scalar = isinstance(request, dict) and "id" in request and not isinstance(sent, (list, dict))
            if scalar and (response.get("id") != sent or "id" not in response):
                problems.append(f"id not echoed: sent {sent!r}, got {response.get('id')!r}")
            if not scalar and "id" in response:
                problems.append(f"response has id {response['id']!r} for a request without a usable id")
        if problems:
            failures.extend(f"{label}: {p}" for p in problems)
        else:
            passed += 1
    for message in failures:
        print(f"FAIL {message}")
    print(f"protocol: {passed} passed, {len(failures)} failed")
    return 1 if failures or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
