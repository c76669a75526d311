#!/usr/bin/env python3
"""Adds up JUnit XML reports (cmocka's and pytest's) and prints the plain
closing line 'N passed, N failed, N skipped'. Exit status 1 when anything
failed or when a report that was expected is missing."""
import sys
import xml.etree.ElementTree as ET


def count(path):
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            print(f"FAILED {case.get('classname', '')}::{case.get('name')}  ({path})")
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(paths):
    totals = [0, 0, 0]
    missing = 0
    for path in paths:
        try:
            for i, n in enumerate(count(path)):
                totals[i] += n
        except (OSError, ET.ParseError) as e:
            print(f"missing or unreadable report {path}: {e}")
            missing += 1
    failed = totals[1] + missing
    print(f"{totals[0]} passed, {failed} failed, {totals[2]} skipped")
    return 1 if failed or totals[0] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
