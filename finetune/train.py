"""LoRA fine-tuning of an HF causal LM on chat-format JSONL (the output of `slopguard finetune data`).

Usage:
  finetune/.venv/bin/python finetune/train.py --config finetune/configs/testbed.yaml \
      --data finetune/runs/data/train.jsonl --out finetune/runs/train [--base HF_DIR] [--max-steps N]

Each data line is {"messages": [{"role": ..., "content": ...}, ...]}; the loss is taken on the last
(assistant) message only, including the end-of-turn token. Writes OUT/adapter/ (peft), OUT/train_log.jsonl,
OUT/summary.json and OUT/loss.svg.
"""
import argparse
import hashlib
import json
import math
import os
import random
import re
import sys
import time

import numpy as np
import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loss_svg import write_loss_svg  # noqa: E402

DEFAULTS = {
    "base": "models/testbed/hf",
    "seed": 0,
    "lora": {"r": 16, "alpha": 32, "dropout": 0.0,
             "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]},
    "lr": 5e-4,
    "epochs": 1.0,
    "max_steps": 0,
    "batch_size": 16,
    "max_length": 512,
    "warmup_steps": 20,
    "weight_decay": 0.0,
    "grad_clip": 1.0,
    "threads": 0,
    "gradient_checkpointing": "auto",
    "log_every": 10,
}


def load_config(path, overrides):
    cfg = json.loads(json.dumps(DEFAULTS))
    if path:
        with open(path) as f:
            user = yaml.safe_load(f) or {}
        unknown = set(user) - set(DEFAULTS)
        if unknown:
            raise SystemExit(f"unknown config keys: {sorted(unknown)}")
        for k, v in user.items():
            if isinstance(v, dict):
                cfg[k].update(v)
            else:
                cfg[k] = v
    for k, v in overrides.items():
        if v is not None:
            cfg[k] = v
    return cfg


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # Deterministic kernels: the same data, config and seed give the same adapter on the same machine.
    torch.use_deterministic_algorithms(True, warn_only=True)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def normalize_prompt(text):
    """Same rule as normalizePrompt in finetune/heldout.ts."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def guard_heldout(rows, hashes_path):
    """Refuses to train when any row's user prompt is an eval prompt (the hashes `finetune data` wrote)."""
    if not hashes_path or not os.path.exists(hashes_path):
        return 0
    with open(hashes_path) as f:
        held = {line.strip() for line in f if line.strip()}
    for r in rows:
        for m in r["messages"]:
            if m["role"] == "user" and hashlib.sha256(normalize_prompt(m["content"]).encode()).hexdigest()[:32] in held:
                raise SystemExit(f"refusing to train: a training prompt is a held-out eval prompt: {m['content'][:80]!r}")
    return len(held)


def encode_examples(tok, rows, max_length):
    """Token ids and the index where the answer starts. The prompt is rendered with the model's own chat
    template (add_generation_prompt) so any HF chat model works, not only the testbed."""
    out, skipped = [], {"too_long": 0, "prefix_mismatch": 0}
    for row in rows:
        msgs = row["messages"]
        prompt = tok.apply_chat_template(msgs[:-1], tokenize=False, add_generation_prompt=True)
        full = tok.apply_chat_template(msgs, tokenize=False)
        p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
        f_ids = tok(full, add_special_tokens=False)["input_ids"]
        if f_ids[: len(p_ids)] != p_ids:
            skipped["prefix_mismatch"] += 1
            continue
        # Keep the end-of-turn token in the loss but not the trailing newline some templates add.
        end = len(f_ids)
        if tok.eos_token_id in f_ids[len(p_ids):]:
            end = len(p_ids) + f_ids[len(p_ids):].index(tok.eos_token_id) + 1
        if end > max_length:
            skipped["too_long"] += 1
            continue
        out.append((f_ids[:end], len(p_ids)))
    return out, skipped


def make_batch(examples, pad_id, device):
    width = max(len(ids) for ids, _ in examples)
    inp = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), -100, dtype=torch.long)
    att = torch.zeros((len(examples), width), dtype=torch.long)
    for k, (ids, start) in enumerate(examples):
        t = torch.tensor(ids, dtype=torch.long)
        inp[k, : len(ids)] = t
        att[k, : len(ids)] = 1
        labels[k, start: len(ids)] = t[start:]
    return inp.to(device), att.to(device), labels.to(device)


def lr_at(step, total, cfg):
    if step < cfg["warmup_steps"]:
        return cfg["lr"] * (step + 1) / cfg["warmup_steps"]
    frac = (step - cfg["warmup_steps"]) / max(1, total - cfg["warmup_steps"])
    return cfg["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def load_model(cfg, device):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(cfg["base"])
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    use_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    dtype = torch.bfloat16 if use_bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(cfg["base"], dtype=dtype).to(device)
    gc = cfg["gradient_checkpointing"]
    if gc is True or (gc == "auto" and device.type == "cuda"):
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    lcfg = cfg["lora"]
    model = get_peft_model(model, LoraConfig(
        r=lcfg["r"], lora_alpha=lcfg["alpha"], lora_dropout=lcfg["dropout"],
        target_modules=list(lcfg["target_modules"]), bias="none", task_type="CAUSAL_LM"))
    return tok, model, dtype


def train(cfg, data_path, out_dir, heldout_hashes=None):
    seed_everything(cfg["seed"])
    if cfg["threads"]:
        torch.set_num_threads(cfg["threads"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with open(data_path, "rb") as f:
        raw = f.read()
    rows = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
    if heldout_hashes is None:
        heldout_hashes = os.path.join(os.path.dirname(os.path.abspath(data_path)), "heldout_hashes.txt")
    if any(r.get("split", "train") != "train" for r in rows):
        raise SystemExit("refusing to train: the data file holds rows whose split is not 'train'")
    n_held = guard_heldout(rows, heldout_hashes)
    tok, model, dtype = load_model(cfg, device)
    examples, skipped = encode_examples(tok, rows, cfg["max_length"])
    if not examples:
        raise SystemExit("no usable training examples")
    bs = cfg["batch_size"]
    steps_per_epoch = math.ceil(len(examples) / bs)
    total = cfg["max_steps"] or max(1, int(round(cfg["epochs"] * steps_per_epoch)))
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    rng = random.Random(cfg["seed"])
    order, log, t0 = [], [], time.time()
    os.makedirs(out_dir, exist_ok=True)
    logf = open(os.path.join(out_dir, "train_log.jsonl"), "w")
    model.train()
    for step in range(total):
        if len(order) < bs:
            perm = list(range(len(examples)))
            rng.shuffle(perm)
            order.extend(perm)
        batch = [examples[i] for i in order[:bs]]
        del order[:bs]
        inp, att, labels = make_batch(batch, tok.pad_token_id, device)
        lr = lr_at(step, total, cfg)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = model(input_ids=inp, attention_mask=att, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, cfg["grad_clip"])
        opt.step()
        rec = {"step": step + 1, "epoch": round((step + 1) / steps_per_epoch, 4), "loss": round(loss.item(), 5),
               "lr": lr, "elapsed_s": round(time.time() - t0, 2)}
        log.append(rec)
        logf.write(json.dumps(rec) + "\n")
        if (step + 1) % cfg["log_every"] == 0 or step + 1 == total:
            print(f"step {step + 1}/{total} loss {rec['loss']:.4f} lr {lr:.2e} {rec['elapsed_s']:.0f}s", flush=True)
    logf.close()
    adapter_dir = os.path.join(out_dir, "adapter")
    model.save_pretrained(adapter_dir)
    n_train = sum(p.numel() for p in trainable)
    summary = {
        "base": cfg["base"], "device": device.type, "dtype": str(dtype).replace("torch.", ""),
        "config": cfg, "data": data_path, "data_sha256": hashlib.sha256(raw).hexdigest(),
        "rows": len(rows), "heldout_prompts_guarded": n_held, "examples": len(examples), "skipped": skipped, "steps": total,
        "epochs": round(total / steps_per_epoch, 3), "trainable_params": n_train,
        "first_loss": log[0]["loss"], "final_loss": log[-1]["loss"],
        "final_loss_mean_last10": round(sum(r["loss"] for r in log[-10:]) / len(log[-10:]), 5),
        "seconds": round(time.time() - t0, 1), "torch": torch.__version__,
    }
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    write_loss_svg(log, os.path.join(out_dir, "loss.svg"), title=f"LoRA r={cfg['lora']['r']} on {len(examples)} examples")
    print(json.dumps({k: summary[k] for k in ("examples", "steps", "trainable_params", "first_loss", "final_loss", "seconds")}))
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base", help="HF checkpoint folder (overrides the config)")
    ap.add_argument("--max-steps", type=int, dest="max_steps")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--heldout-hashes", help="held-out prompt hashes (default: heldout_hashes.txt beside --data)")
    a = ap.parse_args()
    cfg = load_config(a.config, {"base": a.base, "max_steps": a.max_steps, "seed": a.seed})
    train(cfg, a.data, a.out, a.heldout_hashes)


if __name__ == "__main__":
    main()
