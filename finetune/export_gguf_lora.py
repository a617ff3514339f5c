"""Write a peft LoRA adapter as a llama.cpp GGUF LoRA (the only adapter format node-llama-cpp loads).

Usage:
  finetune/.venv/bin/python finetune/export_gguf_lora.py --adapter RUN/adapter --base models/testbed/hf --out x.gguf

* Tensor names follow llama.cpp: blk.N.{attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down}.weight.lora_{a,b}.
* llama-family bases were converted with Q/K rows permuted from HF's rotate-half RoPE layout to GGML's
  adjacent-pair layout; B produces those rows (delta = B @ A), so B of q/k gets the same permutation.
* Metadata: general.type=adapter, adapter.type=lora, adapter.lora.alpha (llama.cpp scales by alpha / r).
"""
import argparse
import json
import os
import re

import numpy as np
import gguf
from safetensors.numpy import load_file

PROJ = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
# HF model_type -> llama.cpp architecture, and whether its converter permutes Q/K rows.
ARCH = {"llama": ("llama", True), "mistral": ("llama", True), "qwen2": ("qwen2", False), "qwen3": ("qwen3", False)}
KEY = re.compile(r"layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.lora_([AB])\.weight$")


def permute_rope_rows(w, n_heads):
    """Row 2i of each head takes HF row i and row 2i+1 takes HF row i + head_dim/2."""
    out_dim = w.shape[0]
    head_dim = out_dim // n_heads
    w = w.reshape(n_heads, 2, head_dim // 2, *w.shape[1:])
    return np.ascontiguousarray(np.swapaxes(w, 1, 2).reshape(out_dim, *w.shape[3:]))


def convert(adapter_dir, base_dir, out_path, name="slopguard-lora"):
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        acfg = json.load(f)
    with open(os.path.join(base_dir, "config.json")) as f:
        cfg = json.load(f)
    if acfg.get("use_rslora") or acfg.get("use_dora"):
        raise SystemExit("rsLoRA/DoRA adapters have no llama.cpp equivalent; train with plain LoRA")
    if cfg["model_type"] not in ARCH:
        raise SystemExit(f"unsupported model_type {cfg['model_type']!r} (supported: {sorted(ARCH)})")
    arch, permute = ARCH[cfg["model_type"]]
    sd = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    heads = {"attn_q": cfg["num_attention_heads"], "attn_k": cfg.get("num_key_value_heads", cfg["num_attention_heads"])}

    w = gguf.GGUFWriter(out_path, arch)
    w.add_type(gguf.GGUFType.ADAPTER)
    w.add_name(name)
    w.add_string(gguf.Keys.Adapter.TYPE, "lora")
    w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(acfg["lora_alpha"]))
    count = 0
    for key in sorted(sd):
        m = KEY.search(key)
        if not m:
            raise SystemExit(f"unexpected tensor {key} (only attention/MLP projection LoRA is exported)")
        layer, proj, ab = int(m.group(1)), PROJ[m.group(2)], m.group(3).lower()
        t = sd[key].astype(np.float32)
        if permute and ab == "b" and proj in heads:
            t = permute_rope_rows(t, heads[proj])
        w.add_tensor(f"blk.{layer}.{proj}.weight.lora_{ab}", np.ascontiguousarray(t))
        count += 1
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    info = {"out": out_path, "tensors": count, "bytes": os.path.getsize(out_path), "alpha": acfg["lora_alpha"],
            "r": acfg["r"], "architecture": arch, "qk_permuted": permute}
    print(json.dumps(info))
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--base", required=True, help="the HF checkpoint the adapter was trained on")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="slopguard-lora")
    a = ap.parse_args()
    convert(a.adapter, a.base, a.out, a.name)


if __name__ == "__main__":
    main()
