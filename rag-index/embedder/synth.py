"""Synthetic (query -> statement) pairs built only from the shipped registry summaries.

Queries imitate coding requests ("Generate Python code that ...", "Which npm packages ...")
written from a package's summary with word dropout, synonym swaps and reordering, so the
model learns to map task wording to the statement of the package that does the task.
The paper's prompt files are never read here: they are the evaluation set.
"""
import gzip, random, re

LANG = {"pypi": "Python", "npm": "JavaScript"}
PREFIXES = [
    "Generate {lang} code that {verb} {task}",
    "Write a {lang} script that {verb} {task}",
    "Create a {lang} function to {inf} {task}",
    "Which {eco} packages would be useful in solving the following coding problem: {Task}",
    "How can I {inf} {task} in {lang}?",
    "I need to {inf} {task}",
    "{Task}",
    "Implement {task} in {lang}",
    "Generate {lang} code that imports the {name} library and {verb} {task}",
    "Using {name}, write {lang} code that {verb} {task}",
]
VERBS = [("uses", "use"), ("provides", "provide"), ("implements", "implement"), ("creates", "create"),
         ("builds", "build"), ("handles", "handle"), ("works with", "work with")]
SYN = {"library": ["package", "module", "lib"], "fast": ["quick", "high-performance"], "simple": ["easy", "basic"],
       "parse": ["read", "parsing"], "parser": ["parsing library", "reader"], "http": ["HTTP", "web"],
       "utility": ["helper", "tool"], "utilities": ["helpers", "tools"], "client": ["API client", "wrapper"],
       "files": ["documents"], "file": ["document"], "create": ["make", "generate"], "tool": ["utility"],
       "json": ["JSON"], "wrapper": ["binding", "interface"], "plugin": ["extension", "add-on"],
       "images": ["pictures"], "image": ["picture"], "test": ["unit test"], "testing": ["tests"],
       "database": ["DB"], "command line": ["CLI", "terminal"], "cli": ["command-line tool"],
       "convert": ["transform"], "manage": ["handle"], "support": ["handling"]}
BOILER = re.compile(r"^(an?|the)?\s*(simple|small|tiny|lightweight|fast|modern|pure)?\s*(python|javascript|js|node(\.js)?)?\s*"
                    r"(library|package|module|tool|utility|wrapper|plugin|sdk)\s+(for|to|that)\s+", re.I)

def read(path, eco):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            name, _sig, _pop, summary = line.rstrip("\n").split("\t", 3)
            yield {"name": name, "eco": eco, "summary": summary}

def statement(p):
    s = p["summary"].rstrip(". ")
    return f"Package {p['name']} could answer questions about {s}."

DROP = 0.15

def perturb(task, rng):
    words = task.split()
    out = []
    for w in words:
        lw = w.lower().strip(",.")
        if lw in SYN and rng.random() < 0.3:
            out.append(rng.choice(SYN[lw])); continue
        if len(words) > 4 and rng.random() < DROP:
            continue
        out.append(w)
    if len(out) > 6 and rng.random() < 0.2:  # swap two clauses around a comma
        txt = " ".join(out)
        parts = [x.strip() for x in txt.split(",") if x.strip()]
        if len(parts) > 1:
            rng.shuffle(parts); return ", ".join(parts)
    return " ".join(out)

def query(p, rng):
    task = BOILER.sub("", p["summary"]).rstrip(". ")
    task = perturb(task, rng)
    if task[:1].isupper() and not task[:2].isupper():
        task = task[0].lower() + task[1:]
    tmpl = rng.choice(PREFIXES[:8] if rng.random() < 0.75 else PREFIXES)
    verb, inf = rng.choice(VERBS)
    name = p["name"].split("/")[-1]
    return tmpl.format(lang=LANG[p["eco"]], eco="Python" if p["eco"] == "pypi" else "npm", verb=verb, inf=inf,
                       task=task, Task=task[:1].upper() + task[1:], name=name)

def load(data_dir):
    return list(read(f"{data_dir}/pypi.tsv.gz", "pypi")) + list(read(f"{data_dir}/npm.tsv.gz", "npm"))


def topic_batches(pkgs, rng, batch, share=0.5):
    """Yields batches where about `share` of the packages have a summary word in common, so
    in-batch negatives are near misses (other YAML parsers, other AWS SDKs), not random text."""
    index = {}
    for i, p in enumerate(pkgs):
        for w in set(re.findall(r"[a-z][a-z0-9]{3,}", p["summary"].lower())):
            index.setdefault(w, []).append(i)
    topics = [ids for ids in index.values() if 8 <= len(ids) <= 2000]
    while True:
        chosen = set()
        while len(chosen) < batch * share:
            ids = rng.choice(topics)
            chosen.update(rng.sample(ids, min(len(ids), 8)))
        while len(chosen) < batch:
            chosen.add(rng.randrange(len(pkgs)))
        yield [pkgs[i] for i in list(chosen)[:batch]]
