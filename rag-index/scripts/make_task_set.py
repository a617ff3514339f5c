#!/usr/bin/env python3
"""Build rag-index/bench/tasks.jsonl from the hand-written task lists in rag-index/bench/tasks/.

Each answer must be a package in the shipped selection (rag-index/data/); answers that are not
(standard-library modules, packages outside the selection, typos) are dropped and listed with
--report. Prompts left without an answer are dropped unless their category is `none` (prompts
that need no package: the threshold should return nothing for them). The split is fixed by a
hash of the prompt: about 40 % dev (tuning), 60 % test (reported).

`tasks/<eco>-dev.txt` is a supplement written later, by other writers who did not see the main
lists: all of it is dev (`"source": "supplement"`), so the test split stays as it was. A supplement
prompt close to a test prompt is dropped, so that no test task has a paraphrase in dev: content
words (crudely stemmed) with Jaccard >= 0.5, or >= 0.25 and answer lists with Jaccard >= 0.3.

Usage: python3 rag-index/scripts/make_task_set.py [--report]   (from the repo root)
"""
import gzip, hashlib, json, re, sys

def norm(eco, name):
    return re.sub(r"[-_.]+", "-", name).lower() if eco == "pypi" else name.lower()

def selection(eco):
    with gzip.open(f"rag-index/data/{eco}.tsv.gz", "rt", encoding="utf-8") as f:
        rows = [l.split("\t") for l in f.read().splitlines()[1:]]
    return {norm(eco, r[0]): (i, r[0], r[3]) for i, r in enumerate(rows)}

STOP = set("a an the and or of to for in on with from by into as at is are be it its that this how do i can "
           "my me we our you your what which using use python javascript node nodejs js typescript code generate "
           "write function script program".split())

def content_words(prompt):
    def stem(w):
        for suf in ("ations", "ation", "ings", "ing", "ers", "er", "ed", "es", "s"):
            if w.endswith(suf) and len(w) - len(suf) >= 3: return w[:-len(suf)]
        return w
    return {stem(w) for w in re.findall(r"[a-z0-9]+", prompt.lower()) if w not in STOP}

def answer_set(answers):
    return {a.strip().lower() for a in answers.split(",") if a.strip()}

def jaccard(a, b):
    return len(a & b) / max(1, len(a | b))

def near_duplicate(prompt, answers, others):
    """Whether a prompt (words, answers) says what one of `others` says."""
    return any(jaccard(prompt, w) >= 0.5 or (jaccard(prompt, w) >= 0.25 and jaccard(answers, a) >= 0.3) for w, a in others)

def split_of(prompt):
    return "dev" if int(hashlib.sha1(prompt.encode()).hexdigest(), 16) % 5 < 2 else "test"

def lines(eco, suffix=""):
    path = f"rag-index/bench/tasks/{eco}{suffix}.txt"
    try:
        with open(path, encoding="utf-8") as f:
            return [l for l in f.read().splitlines() if l.strip() and not l.startswith("#")]
    except FileNotFoundError:
        return []

def main():
    report = "--report" in sys.argv
    out, stats = [], {}
    for eco in ("pypi", "npm"):
        sel = selection(eco)
        kept = dropped_prompts = near_duplicates = 0
        missing = set()
        main = lines(eco)
        test_prompts = [(content_words(p), answer_set(a)) for _, p, a in ((x.strip() for x in l.split("|")) for l in main) if split_of(p) == "test"]
        for line, source in [(l, None) for l in main] + [(l, "supplement") for l in lines(eco, "-dev")]:
            category, prompt, answers = (p.strip() for p in line.split("|"))
            if source and near_duplicate(content_words(prompt), answer_set(answers), test_prompts):
                near_duplicates += 1
                if report: print(f"{eco}: supplement prompt close to a test prompt, dropped: {prompt}", file=sys.stderr)
                continue
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
            split = "dev" if source else split_of(prompt)
            row = {"ecosystem": eco, "category": category, "prompt": prompt, "answers": names, "split": split}
            out.append({**row, "source": source} if source else row)
            kept += 1
        stats[eco] = {"prompts": kept, "dropped_prompts": dropped_prompts, "answers_not_in_selection": len(missing),
                      "supplement_near_duplicates": near_duplicates}
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
            "dev_supplement": sum(r.get("source") == "supplement" for r in pos),
            "answers_per_prompt": round(sum(len(r["answers"]) for r in pos) / max(1, len(pos)), 2),
        })
    print(json.dumps(stats, indent=1))

if __name__ == "__main__":
    main()
