#!/usr/bin/env python3
"""Check Spool's JSON Schemas and the event examples against them.

- Every `*.json` in `schemas/events/` (except `examples.json`) and `schemas/protocol/` (skipped
  when missing or empty) must be a valid JSON Schema 2020-12; an event schema also needs
  `$schema`, `title` and a `$id` ending in its file name.
- Every event type named in the design has a schema whose `$id` ends in `<Type>.json`.
- `schemas/events/examples.json`: every `valid` example passes its type's schema; every `invalid`
  one fails it, and one of the errors names the example's `field`. Each type has at least two of
  each, so the Swift `EventValidator` tests (which read the same file) cover every type.

- `schemas/email-rules.json` is a valid schema, and the built-in rules (the `rules` string in
  `Sources/SpoolCore/Email/DefaultEmails.swift`) pass it.

Prints one line per failure, then `schemas: N passed, M failed`; exits 1 on any failure.
Needs only `jsonschema` (pip) and the standard library.
"""

import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "schemas" / "events"
PROTOCOL = ROOT / "schemas" / "protocol"
EVENT_TYPES = [
    "UserCreated", "UserProfileUpdated", "UserJoinedSegment", "UserLeftSegment",
    "UserEmailPreferencesChanged", "UserDeleted",
    "EmailGenerated", "EmailSent", "EmailBounced", "EmailOpened", "EmailClicked",
]
MIN_EXAMPLES = 2

passed = 0
failures = []


def ok():
    global passed
    passed += 1


def fail(message):
    failures.append(message)


def load_schemas(directory, strict):
    """Return {file stem: schema} for every valid schema file in `directory`; `strict` also
    requires `$schema`, `title` and a `$id` ending in the file's name."""
    schemas = {}
    if not directory.is_dir():
        return schemas
    for path in sorted(directory.glob("*.json")):
        if path.name == "examples.json":
            continue
        name = path.relative_to(ROOT)
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
        except (ValueError, SchemaError) as error:
            fail(f"{name}: {str(error).splitlines()[0]}")
            continue
        missing = [] if not strict else [key for key in ("$schema", "$id", "title") if key not in schema]
        if missing:
            fail(f"{name}: missing {', '.join(missing)}")
            continue
        if strict and not str(schema["$id"]).endswith(f"/{path.name}"):
            fail(f"{name}: $id {schema['$id']!r} does not end in /{path.name}")
            continue
        schemas[path.stem] = schema
        ok()
    return schemas


def error_texts(error):
    """Everything an error (and its sub-errors, for anyOf) says, to look for a field name in."""
    yield error.message
    if error.validator == "type" and not error.absolute_path:
        yield "data"  # the data itself is not an object
    yield from (str(part) for part in error.absolute_path)
    for sub in error.context or []:
        yield from error_texts(sub)


def check_examples(schemas):
    path = EVENTS / "examples.json"
    try:
        examples = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        fail(f"{path.relative_to(ROOT)}: {error}")
        return
    validators = {
        name: Draft202012Validator(schema, format_checker=FormatChecker())
        for name, schema in schemas.items()
    }
    counts = {name: [0, 0] for name in EVENT_TYPES}
    for kind, column in (("valid", 0), ("invalid", 1)):
        for number, example in enumerate(examples.get(kind, [])):
            label = f"examples.json {kind}[{number}] ({example.get('type')})"
            validator = validators.get(example.get("type"))
            if validator is None:
                fail(f"{label}: no schema for this type")
                continue
            counts[example["type"]][column] += 1
            errors = list(validator.iter_errors(example.get("data")))
            if kind == "valid":
                if errors:
                    fail(f"{label}: should pass, but {errors[0].message}")
                    continue
            else:
                field = example.get("field")
                if not errors:
                    fail(f"{label}: should fail on {field!r}, but passed")
                    continue
                if not field or not any(field in text for e in errors for text in error_texts(e)):
                    fail(f"{label}: fails, but no error names {field!r}: {errors[0].message}")
                    continue
            ok()
    for name, (valid, invalid) in counts.items():
        if valid < MIN_EXAMPLES or invalid < MIN_EXAMPLES:
            fail(f"examples.json: {name} has {valid} valid and {invalid} invalid examples, "
                 f"needs {MIN_EXAMPLES} of each")


def check_email_rules():
    path = ROOT / "schemas" / "email-rules.json"
    try:
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
    except (ValueError, SchemaError) as error:
        fail(f"{path.name}: not a valid JSON Schema 2020-12: {error}")
        return
    ok()
    source = (ROOT / "Sources" / "SpoolCore" / "Email" / "DefaultEmails.swift").read_text()
    start = source.find('static let rules = """')
    end = source.find('"""', start + len('static let rules = """'))
    if start < 0 or end < 0:
        fail("DefaultEmails.swift: the built-in rules string was not found")
        return
    rules = json.loads(source[start + len('static let rules = """'):end])
    errors = list(Draft202012Validator(schema).iter_errors(rules))
    if errors:
        fail(f"built-in email rules fail {path.name}: {errors[0].message}")
    else:
        ok()


def main():
    event_schemas = load_schemas(EVENTS, strict=True)
    for name in EVENT_TYPES:
        if name not in event_schemas:
            fail(f"schemas/events/{name}.json: missing or invalid")
    load_schemas(PROTOCOL, strict=False)
    check_examples(event_schemas)
    check_email_rules()
    for message in failures:
        print(f"FAIL {message}")
    print(f"schemas: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
