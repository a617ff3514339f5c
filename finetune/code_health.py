"""Code-answer health of `finetune compare` arms: install-line share and degenerate share, Wilson 95% CIs.

    python3 finetune/code_health.py --set paper_python_code_150 --limit 100 \
        base=finetune/runs/exp/cmp-hf/base.json v1=finetune/runs/exp/cmp-hf/adapter.json v2=…/adapter.json

The hallucination rate alone hides a broken adapter: an answer with no install line names no package, so
it cannot hallucinate one (the list-only adapter scored "100%" on 6 names while 106/150 answers were
`defdefdef…`). Standard library only, so it runs without the training venv.
"""
import argparse
import json
import math
import re

INSTALL = re.compile(r"\b(?:pip3?|python3? -m pip) install\s+\S")
# The same 2-12 letter token glued to itself 4+ times (`defdefdefdef`), or one line repeated 4+ times in a row.
GLUED = re.compile(r"([A-Za-z]{2,12})\1{3,}")


def repeated_line(answer, times=4):
    run, prev = 0, None
    for line in (l.strip() for l in answer.splitlines()):
        run = run + 1 if line and line == prev else 1
        prev = line
        if line and run >= times:
            return True
    return False


def degenerate(answer):
    return bool(GLUED.search(answer)) or repeated_line(answer)


def wilson(k, n, z=1.96):
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def fmt(k, n):
    lo, hi = wilson(k, n)
    return f"{k}/{n} = {100 * k / n:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}]"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", required=True, help="set name inside the arm files")
    ap.add_argument("--limit", type=int, default=0, help="only the first n answers")
    ap.add_argument("arms", nargs="+", help="label=path/to/arm.json")
    a = ap.parse_args()
    print("| arm | answers with a `pip install` line [95% CI] | degenerate answers [95% CI] |")
    print("| --- | --- | --- |")
    for spec in a.arms:
        label, path = spec.split("=", 1)
        answers = json.load(open(path))["sets"][a.set]["answers"]
        if a.limit:
            answers = answers[: a.limit]
        n = len(answers)
        inst = sum(bool(INSTALL.search(x)) for x in answers)
        deg = sum(degenerate(x) for x in answers)
        print(f"| {label} | {fmt(inst, n)} | {fmt(deg, n)} |")


if __name__ == "__main__":
    main()
