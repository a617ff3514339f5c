"""Batched greedy answers from an HF checkpoint (optionally with a peft adapter), for collecting a model's own
answers and for fast base-vs-adapter comparisons on CPU. node-llama-cpp answers one prompt at a time; on a
shared 2-core machine batching is ~100x faster, and for the testbed the HF checkpoint and the GGUF give the
same greedy answers (finetune/README.md shows the agreement check).

Usage:
  finetune/.venv/bin/python finetune/generate_hf.py --base models/testbed/hf --prompts P.jsonl --out A.jsonl \
      [--adapter RUN/adapter] [--run NAME] [--batch 64]
Prompt rows need system, user and kind ("list" answers get 64 new tokens, others --max-tokens, or the row's
own max_tokens).
"""
import argparse
import json
import time

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--adapter")
    ap.add_argument("--run", default="run")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=192)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true", help="append answers batch by batch and skip rows already in --out")
    a = ap.parse_args()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(a.threads)
    tok = AutoTokenizer.from_pretrained(a.base)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(a.base, dtype=torch.float32)
    if a.adapter:
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, a.adapter).merge_and_unload()
    model.eval()
    rows = [json.loads(l) for l in open(a.prompts) if l.strip()]
    texts = [tok.apply_chat_template([{"role": "system", "content": r["system"]}, {"role": "user", "content": r["user"]}]
                                     if r.get("system") else [{"role": "user", "content": r["user"]}],
                                     tokenize=False, add_generation_prompt=True) for r in rows]
    answers = [None] * len(rows)
    # Answers are appended batch by batch (a partial file is usable); rows already in --out are skipped.
    done = {}
    if a.resume:
        try:
            with open(a.out) as f:
                for line in f:
                    r = json.loads(line)
                    done[r.get("id") or r["user"]] = r["answer"]
        except FileNotFoundError:
            pass
    for i, r in enumerate(rows):
        answers[i] = done.get(r.get("id") or r["user"])
    sink = open(a.out, "a" if a.resume else "w")
    t0 = time.time()
    budget = [r.get("max_tokens") or (64 if r.get("kind") == "list" else a.max_tokens) for r in rows]
    for limit in sorted(set(budget)):
        idx = [i for i in range(len(rows)) if budget[i] == limit and answers[i] is None]
        idx.sort(key=lambda i: len(texts[i]))
        for s in range(0, len(idx), a.batch):
            chunk = idx[s:s + a.batch]
            enc = tok([texts[i] for i in chunk], return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.no_grad():
                out = model.generate(**enc, do_sample=False, max_new_tokens=limit,
                                     eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
            for k, i in enumerate(chunk):
                answers[i] = tok.decode(out[k, enc["input_ids"].shape[1]:], skip_special_tokens=True).strip()
                if a.resume:
                    sink.write(json.dumps({**rows[i], "answer": answers[i], "run": a.run}) + "\n")
            sink.flush()
            print(f"{sum(x is not None for x in answers)}/{len(rows)} {time.time() - t0:.0f}s", flush=True)
    if not a.resume:
        # Input order, so arms of a comparison line up row by row.
        for r, ans in zip(rows, answers):
            sink.write(json.dumps({**r, "answer": ans, "run": a.run}) + "\n")
    sink.close()
    print(json.dumps({"out": a.out, "answers": len(rows), "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()
