"""The model card (README.md) of a fine-tuned classifier: what it was made from, how, and what it scores."""
from __future__ import annotations

import math
from pathlib import Path

from llm.training import write_atomic

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval, as bench.stats computes it (llm/ imports bench only for task data)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (0.0 if correct == 0 else max(0.0, centre - half), 1.0 if correct == n else min(1.0, centre + half))


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def history_table(history: list[dict], best: int) -> str:
    lines = ["| epoch | train loss | dev accuracy | CPU s | wall s |", "|---|---|---|---|---|"]
    for h in history:
        mark = " (kept)" if h["epoch"] == best else ""
        lines.append(f"| {h['epoch']} | {h['train_loss']:.4f} | {pct(h['dev_accuracy'])}{mark} | {h['cpu_s']} | "
                     f"{h['wall_s']} |")
    return "\n".join(lines)


def method_lines(cfg: dict) -> str:
    if cfg["peft"] == "lora":
        return (f"- Method: LoRA (`peft`): rank {cfg['lora_r']}, alpha {cfg['lora_alpha']}, dropout "
                f"{cfg['lora_dropout']}, on `{', '.join(cfg['lora_targets'])}`; the new head is trained in full.\n"
                "  Saved as a PEFT adapter (`save_pretrained`); the loader merges it into the base.")
    return "- Method: full fine-tuning: every weight of the encoder and the new head is trained."


def load_snippet(folder: str, name: str, record: dict) -> str:
    """`name` loads through isabench (a short name or the folder); plain transformers / peft need the folder."""
    if record["config"]["peft"] == "lora":
        return f"""```python
from llm.runner import load_backend           # resolves the base `{record['base']['name']}` and checks its hash
clf = load_backend("{name}")
clf.classify(["The food was awful and the waiter rude."])[0].label
```
With plain transformers + peft (BASE: the base's folder, `llm.models.resolve("{record['base']['name']}")`):
```python
from transformers import AutoModelForSequenceClassification
from peft import PeftModel
base = AutoModelForSequenceClassification.from_pretrained(BASE, num_labels=2,
                                                          id2label={dict(enumerate(record['labels']))})
model = PeftModel.from_pretrained(base, "{folder}")
```"""
    return f"""```python
from transformers import AutoModelForSequenceClassification, AutoTokenizer
model = AutoModelForSequenceClassification.from_pretrained("{folder}")
tok = AutoTokenizer.from_pretrained("{folder}")
```"""


def label_list(labels: list[str]) -> str:
    return ", ".join(f"{i}: {name}" for i, name in enumerate(labels))


def result_lines(record: dict) -> str:
    test, cfg = record["test"], record["config"]
    kept = f"the kept epoch ({record['best_epoch']}, dev {pct(record['best_dev_accuracy'])})"
    if test is None:
        return f"- Test: not read (a `--dev-only` run, for choosing settings on dev); {kept}."
    lo, hi = test["ci95"]
    return (f"- **Test accuracy {pct(test['accuracy'])}** ({test['correct']} / {test['n']}; 95 % Wilson CI "
            f"{pct(lo)} - {pct(hi)}):\n  {kept}, loaded back from this folder, test read once.\n"
            f"- Inference: {test['ms_per_sentence_wall']} ms a sentence wall ({test['ms_per_sentence_cpu']} CPU-ms), "
            f"batch {test['batch_size']},\n  {cfg['threads']} torch thread(s), CPU, float32.")


def write_card(folder: Path, record: dict, note: str = "", name: str | None = None) -> Path:
    """`name`: what loads the folder in the card's snippet (a short name such as `sentiment-lora`, else the path)."""
    cfg, base, splits = record["config"], record["base"], record["splits"]
    method = "LoRA adapter" if cfg["peft"] == "lora" else "fully fine-tuned model"
    note = note or record.get("note") or ""
    notes = f"\n## Notes\n{note}\n" if note else ""
    text = f"""# {record['task']} classifier: {base['name']} + a new head, {method}

Made by `isabench finetune`, the seed's method: a pretrained encoder, a new classification head, AdamW over a few
epochs of the task's train split, dev accuracy after each epoch, the best epoch kept, test scored once at the end.

## Result
{result_lines(record)}

{history_table(record['history'], record['best_epoch'])}

## Model
- Base: `{base['name']}` ({base['model_type']}), weights content hash `{base['content_hash']}`
  (sha256 of its safetensors, first 12 hex digits); loading refuses a base whose hash differs.
- Head: a new {len(record['labels'])}-way linear layer; labels {label_list(record['labels'])}.
{method_lines(cfg)}
- Trainable parameters: **{record['trainable_params']:,}** of {record['n_params']:,} ({record['trainable_share']:.2%}).
- Content hash of this folder, as `isabench run` records it: `{record.get('content_hash') or '-'}`.

## Data
Task `{record['task']}` (bench/tasks), its fixed split: train {splits['train']:,}, dev {splits['dev']:,},
test {splits['test']:,} sentences. Trained on train; the epoch was chosen on dev; \
{'test was not read' if record['test'] is None else 'test was read once, at the end'}.

## Training
- AdamW: betas {cfg['beta1']}, {cfg['beta2']}; weight decay {cfg['weight_decay']} on matrices; peak lr {cfg['lr']}.
- Schedule: linear warm-up over {cfg['warmup']:.0%} of the {record['steps']} steps, then {cfg['schedule']} decay to 0.
- Gradient clip {cfg['clip']}; batch {cfg['batch_size']}; {cfg['epochs']} epochs; max length {cfg['max_length']} \
tokens; seed {cfg['seed']}.
- Time: **{record['cpu_s']} CPU-s, {record['wall_s']} wall-s** (training + dev evaluation, all resumptions),
  {cfg['threads']} torch thread(s), on a {record['cpu_count']}-core machine shared with other jobs.
- Versions: torch {record['versions']['torch']}, transformers {record['versions']['transformers']}, \
peft {record['versions']['peft']}.
{notes}
## Reproduce
To another folder (deterministic for a seed and thread count on one machine):
```
{record['reproduce']}
```

## Load
{load_snippet(str(folder), name or str(folder), record)}
"""
    path = Path(folder) / "README.md"
    write_atomic(path, text)
    return path
