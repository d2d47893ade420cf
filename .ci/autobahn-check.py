"""Checks an Autobahn (kosoku) index.json: every case in every group (1-13, the
permessage-deflate groups 12 and 13 included) must be OK, or INFORMATIONAL where
the suite defines it; nothing NON-STRICT, FAILED or UNIMPLEMENTED anywhere."""
import json
import sys
import time

ACCEPTED = {"OK", "INFORMATIONAL"}


def load(path):
    """The report, retried briefly in case the runner is still writing it."""
    for _ in range(50):
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.2)
    print(f"{path}: no readable report")
    sys.exit(1)


report = load(sys.argv[1])
bad, counts = [], {}
for agent, cases in report.items():
    for case, result in cases.items():
        behavior, close = result["behavior"], result["behaviorClose"]
        counts[behavior] = counts.get(behavior, 0) + 1
        if not (behavior in ACCEPTED and close in ACCEPTED):
            bad.append(f"{agent} {case}: {behavior}/{close}")
print(f"{sys.argv[1]}: {sum(counts.values())} cases: {counts}")
if not sum(counts.values()):
    print("no cases in the report")
    sys.exit(1)
for line in bad:
    print("  " + line)
sys.exit(1 if bad else 0)
