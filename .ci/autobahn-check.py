"""Checks Autobahn (kosoku) index.json reports: every case in every group (1-7,
9, 10, 12 and 13: the suite has no 8 or 11; the permessage-deflate groups 12
and 13 included) must be OK, or INFORMATIONAL
where the suite defines it; nothing NON-STRICT, FAILED or UNIMPLEMENTED anywhere.

Usage: autobahn-check.py REPORT... [-- REPORT...]: the reports of one role
(a run split into shares gives one report per share) and, after `--`, those of
the other. Together the reports of a role must hold every group."""
import json
import sys
import time

ACCEPTED = {"OK", "INFORMATIONAL"}
GROUPS = {1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13}


def load(path):
    """The report, retried briefly in case the runner is still writing it."""
    for _ in range(50):
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.2)
    print(f"{path}: no readable report")
    return None


def check_role(paths):
    """Prints the counts of one role's reports; True when all is well."""
    ok, counts, groups = True, {}, set()
    for path in paths:
        report = load(path)
        if report is None:
            ok = False
            continue
        for agent, cases in report.items():
            for case, result in cases.items():
                behavior, close = result["behavior"], result["behaviorClose"]
                counts[behavior] = counts.get(behavior, 0) + 1
                groups.add(int(case.split(".")[0]))
                if not (behavior in ACCEPTED and close in ACCEPTED):
                    print(f"  {path} {agent} {case}: {behavior}/{close}")
                    ok = False
    print(f"{' '.join(paths)}: {sum(counts.values())} cases: {counts}")
    if GROUPS - groups:
        print(f"  groups missing: {sorted(GROUPS - groups)}")
        ok = False
    return ok


roles, current = [], []
for arg in sys.argv[1:]:
    if arg == "--":
        roles.append(current)
        current = []
    else:
        current.append(arg)
roles.append(current)
results = [check_role(paths) for paths in roles if paths]
sys.exit(0 if results and all(results) else 1)
