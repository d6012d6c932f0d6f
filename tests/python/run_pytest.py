"""Runs pytest on a folder and fails unless tests ran and none was skipped,
xfailed or deselected: a suite that collects nothing (pytest exit code 5)
or skips its checks must not pass."""
import sys

import pytest


class Outcomes:
    def __init__(self):
        self.counts = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.counts[report.outcome] = self.counts.get(report.outcome, 0) + 1


folder = sys.argv[1]
outcomes = Outcomes()
code = pytest.main(["-q", "-p", "no:cacheprovider", "-rs", folder], plugins=[outcomes])
print(f"run_pytest: {outcomes.counts}", flush=True)
if code != 0:
    sys.exit(code)
if outcomes.counts.get("passed", 0) == 0 or outcomes.counts.get("skipped", 0):
    print("run_pytest: no test passed, or some were skipped", file=sys.stderr)
    sys.exit(1)
