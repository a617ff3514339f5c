"""A dependency-free SVG loss curve (raw loss in grey, moving average in blue), so training needs no plotting
library."""
from xml.sax.saxutils import escape


def _moving_average(values, window):
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= window:
            acc -= values[i - window]
        out.append(acc / min(i + 1, window))
    return out


def write_loss_svg(log, path, title="training loss", width=640, height=360):
    steps = [r["step"] for r in log]
    losses = [r["loss"] for r in log]
    smooth = _moving_average(losses, max(1, len(losses) // 20))
    pad_l, pad_r, pad_t, pad_b = 56, 16, 32, 40
    lo, hi = min(losses), max(losses)
    if hi - lo < 1e-9:
        hi = lo + 1.0
    s_max = max(steps[-1], 2)

    def xy(step, loss):
        x = pad_l + (step - 1) / (s_max - 1) * (width - pad_l - pad_r)
        y = pad_t + (hi - loss) / (hi - lo) * (height - pad_t - pad_b)
        return f"{x:.1f},{y:.1f}"

    raw = " ".join(xy(s, v) for s, v in zip(steps, losses))
    avg = " ".join(xy(s, v) for s, v in zip(steps, smooth))
    ticks = []
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        y = pad_t + (hi - v) / (hi - lo) * (height - pad_t - pad_b)
        ticks.append(f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.3f}</text>'
                     f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="{width / 2}" y="18" text-anchor="middle" font-size="13">{escape(title)}</text>
{''.join(ticks)}
<polyline fill="none" stroke="#bbb" stroke-width="1" points="{raw}"/>
<polyline fill="none" stroke="#1f5fbf" stroke-width="2" points="{avg}"/>
<text x="{(width + pad_l) / 2}" y="{height - 8}" text-anchor="middle">step (1 to {steps[-1]})</text>
<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle">loss</text>
</svg>
"""
    with open(path, "w") as f:
        f.write(svg)
