#!/usr/bin/env python3
"""Prints the closing line of `make test` from swift test's xUnit report: 'tests: N passed, M failed'.

Exit status 1 when a test failed or none ran, so the line and the status agree."""
import sys
import xml.etree.ElementTree as ElementTree

cases = ElementTree.parse(sys.argv[1]).getroot().iter("testcase")
passed = failed = skipped = 0
for case in cases:
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
        print(f"failed: {case.get('classname')}.{case.get('name')}")
    elif case.find("skipped") is not None:
        skipped += 1
    else:
        passed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or not passed else 0)
