"""Batched greedy answers from an HF checkpoint (optionally with a peft adapter), for collecting a model's own
answers and for fast base-vs-adapter comparisons on CPU. node-llama-cpp answers one prompt at a time; on a
shared 2-core machine batching is ~100x faster, and for the testbed the HF checkpoint and the GGUF give the
same greedy answers (finetune/README.md shows the agreement check).

Usage:
  finetune/.venv/bin/python finetune/generate_hf.py --base models/testbed/hf --prompts P.jsonl --out A.jsonl \
      [--adapter RUN/adapter] [--run NAME] [--batch 64]
Prompt rows need system, user and kind ("list" answers get 64 new tokens, others --max-tokens).
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
    t0 = time.time()
    for kind_is_list in (True, False):
        idx = [i for i, r in enumerate(rows) if (r.get("kind") == "list") == kind_is_list]
        idx.sort(key=lambda i: len(texts[i]))
        for s in range(0, len(idx), a.batch):
            chunk = idx[s:s + a.batch]
            enc = tok([texts[i] for i in chunk], return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.no_grad():
                out = model.generate(**enc, do_sample=False, max_new_tokens=64 if kind_is_list else a.max_tokens,
                                     eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
            for k, i in enumerate(chunk):
                answers[i] = tok.decode(out[k, enc["input_ids"].shape[1]:], skip_special_tokens=True).strip()
            print(f"{sum(x is not None for x in answers)}/{len(rows)} {time.time() - t0:.0f}s", flush=True)
    with open(a.out, "w") as f:
        for r, ans in zip(rows, answers):
            f.write(json.dumps({**r, "answer": ans, "run": a.run}) + "\n")
    print(json.dumps({"out": a.out, "answers": len(rows), "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()
