#!/usr/bin/env python3
"""Build rag-index/bench/tasks.jsonl from the hand-written task lists in rag-index/bench/tasks/.

Each answer must be a package in the shipped selection (rag-index/data/); answers that are not
(standard-library modules, packages outside the selection, typos) are dropped and listed with
--report. Prompts left without an answer are dropped unless their category is `none` (prompts
that need no package: the threshold should return nothing for them). The split is fixed by a
hash of the prompt: about 40 % dev (tuning), 60 % test (reported).

Usage: python3 rag-index/scripts/make_task_set.py [--report]   (from the repo root)
"""
import gzip, hashlib, json, re, sys

def norm(eco, name):
    return re.sub(r"[-_.]+", "-", name).lower() if eco == "pypi" else name.lower()

def selection(eco):
    with gzip.open(f"rag-index/data/{eco}.tsv.gz", "rt", encoding="utf-8") as f:
        rows = [l.split("\t") for l in f.read().splitlines()[1:]]
    return {norm(eco, r[0]): (i, r[0], r[3]) for i, r in enumerate(rows)}

def main():
    report = "--report" in sys.argv
    out, stats = [], {}
    for eco in ("pypi", "npm"):
        sel = selection(eco)
        kept = dropped_prompts = 0
        missing = set()
        for line in open(f"rag-index/bench/tasks/{eco}.txt", encoding="utf-8"):
            if not line.strip() or line.startswith("#"):
                continue
            category, prompt, answers = (p.strip() for p in line.split("|"))
            names, seen = [], set()
            for a in (x.strip() for x in answers.split(",")):
                if not a: continue
                key = norm(eco, a)
                if key in sel and key not in seen:
                    seen.add(key); names.append(sel[key][1])
                elif key not in sel:
                    missing.add(a)
            if category != "none" and not names:
                dropped_prompts += 1
                if report: print(f"{eco}: no answer in the selection: {prompt}", file=sys.stderr)
                continue
            split = "dev" if int(hashlib.sha1(prompt.encode()).hexdigest(), 16) % 5 < 2 else "test"
            out.append({"ecosystem": eco, "category": category, "prompt": prompt, "answers": names, "split": split})
            kept += 1
        stats[eco] = {"prompts": kept, "dropped_prompts": dropped_prompts, "answers_not_in_selection": len(missing)}
        if report:
            print(f"{eco}: answers not in the selection ({len(missing)}): {', '.join(sorted(missing))}", file=sys.stderr)
    with open("rag-index/bench/tasks.jsonl", "w", encoding="utf-8") as f:
        for r in out:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    for eco in ("pypi", "npm"):
        rows = [r for r in out if r["ecosystem"] == eco]
        pos = [r for r in rows if r["answers"]]
        stats[eco].update({
            "with_answers": len(pos), "no_package": len(rows) - len(pos),
            "dev": sum(r["split"] == "dev" for r in pos), "test": sum(r["split"] == "test" for r in pos),
            "answers_per_prompt": round(sum(len(r["answers"]) for r in pos) / max(1, len(pos)), 2),
        })
    print(json.dumps(stats, indent=1))

if __name__ == "__main__":
    main()
