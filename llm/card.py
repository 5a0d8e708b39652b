"""Model cards (README.md beside the weights): how a model was made and what it scores, for the two ways isabench
makes one: `isabench train` (a causal LM, scored on held-out cells) and `isabench finetune` (an encoder with a new
head, scored on a labelled task's test split). Every figure comes from the run's record; nothing is computed here.
"""
from __future__ import annotations

from pathlib import Path

from llm.evaluate import Cell
from llm.peft_methods import peft_method
from llm.training import write_atomic


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def save_card(folder: Path, text: str) -> Path:
    path = Path(folder) / "README.md"
    write_atomic(path, text)
    return path


# --- isabench train -------------------------------------------------------------------------------------------


def accuracy_table(cells: list[Cell]) -> str:
    """Markdown: one row per task, one column per difficulty, 'accuracy % (n)'."""
    by_task: dict[str, dict[int, Cell]] = {}
    for c in cells:
        by_task.setdefault(c.task, {})[c.difficulty] = c
    lines = ["| task | difficulty: exact-match accuracy (held-out n) |", "|---|---|"]
    for task, row in by_task.items():
        parts = [f"{d}: **{pct(c.accuracy)}** ({c.n})" for d, c in sorted(row.items())]
        lines.append(f"| {task} | {' · '.join(parts)} |")
    return "\n".join(lines)


def facet_table(cells: list[Cell], facet: str) -> str:
    """Markdown: accuracy on the instances with one facet value (e.g. operands of unequal length), per task."""
    lines = ["| task | difficulty: exact-match accuracy (held-out n) |", "|---|---|"]
    by_task: dict[str, list[str]] = {}
    for c in cells:
        n, correct = c.facets.get(facet, (0, 0))
        if n:
            by_task.setdefault(c.task, []).append(f"{c.difficulty}: **{pct(correct / n)}** ({n})")
    lines += [f"| {task} | {' · '.join(parts)} |" for task, parts in by_task.items()]
    return "\n".join(lines) if by_task else ""


def mix_table(table: dict[str, dict]) -> str:
    rows = ["| task | weight per difficulty |", "|---|---|"]
    for task, levels in table.items():
        rows.append(f"| {task} | " + ", ".join(f"{d}: {w:g}" for d, w in levels.items()) + " |")
    return "\n".join(rows)


def arch_line(arch: dict) -> str:
    tied = "tied" if arch.get("tie_word_embeddings") else "untied"
    return (f"{arch['model_type']}: hidden {arch['hidden_size']}, {arch['num_hidden_layers']} layers, "
            f"{arch['num_attention_heads']} heads, MLP {arch['intermediate_size']}, "
            f"{arch['max_position_embeddings']} positions, {tied} embeddings, vocabulary {arch['vocab_size']}")


def reproduce(command: str | None) -> str:
    """The command with its --export pointed away from the shipped folder, and no --overwrite-shipped."""
    import shlex

    words = shlex.split(command or "isabench train")
    words = [w for w in words if w != "--overwrite-shipped"]
    if "--export" in words:
        words[words.index("--export") + 1] = "my_model"
    return shlex.join(words)


def commands(info: dict) -> str:
    """What made the model, and how to make it again elsewhere: one command, or the sequence of invocations that
    resumed one run folder (each extending --steps; the cosine schedule follows each new total)."""
    runs = info.get("invocations") or [{"command": info.get("command"), "to_step": info.get("steps_done")}]
    if len(runs) == 1:
        return (f"- Command that made it: `{runs[0]['command'] or 'isabench train'}`\n"
                f"- To reproduce it elsewhere: `{reproduce(runs[0]['command'])}` (the same seed and thread count give "
                "the same weights; exporting into llm/default_model is refused without --overwrite-shipped)")
    lines = [f"- Made by {len(runs)} invocations on one run folder, each resuming the last's checkpoint with a larger "
             "`--steps` (the cosine schedule then follows the new total from where the run stands):"]
    lines += [f"  {k}. `{r['command']}` (to step {r['to_step']})" for k, r in enumerate(runs, 1)]
    lines.append("- To reproduce it elsewhere, run the same sequence with `--out` naming one new run folder and "
                 "`--export my_model` (the same seed and thread count give the same weights):")
    lines += [f"  {k}. `{reproduce(r['command'])} --out runs/default`" for k, r in enumerate(runs, 1)]
    return "\n".join(lines)


def write_model_card(folder: Path, info: dict, cells: list[Cell], notes: str = "") -> Path:
    cfg, arch = info["config"], info["architecture"]
    n = max(c.n for c in cells)
    text = f"""# isabench default model

A tiny Llama-architecture causal LM with a character-level tokenizer, trained from scratch by `isabench train` on
the benchmark's own task generators (training split only). Load it like any hub model:

```python
from transformers import AutoModelForCausalLM, AutoTokenizer
tok = AutoTokenizer.from_pretrained("llm/default_model")
model = AutoModelForCausalLM.from_pretrained("llm/default_model")
```

## Architecture
- {arch_line(arch)}; **{info['parameters']:,} parameters**, fp32 safetensors.
- Tokenizer: one token per character (WordLevel over printable ASCII and "\\n", `[BOS]` prepended, unknown
  characters -> `[UNK]`); `generation_config.json` is greedy and stops at "\\n".

## Training
{commands(info)}
- Data: `prompt + answer + "\\n"` in exactly the harness's `compact` prompt format, drawn from `bench.tasks`
  generators; only instances with `task.in_split(text, "train")`. The split is decided on the canonical problem
  (`3 + 6` under add and `3+6` under expr are one problem), so no held-out problem of any task is ever trained on,
  under any task's name. Loss on the answer and its newline only.
- Mix (relative sampling weights per task and difficulty):

{mix_table(info['mix'])}

- Optimizer: AdamW (betas {cfg['beta1']}, {cfg['beta2']}; weight decay {cfg['weight_decay']} on matrices),
  peak lr {cfg['lr']}, {cfg['warmup']} warm-up steps, cosine decay to {cfg['min_lr_frac']:.0%} of peak over
  {cfg['steps']} steps, gradient clip {cfg['clip']}, batch {cfg['batch']}, seed {cfg['seed']}.
- Steps done: {info['steps_done']} of {cfg['steps']}; training time {info['wall_minutes']} wall minutes,
  {info['cpu_minutes']} CPU minutes (process CPU time), torch threads {cfg['threads']}, on a shared 2-core CPU
  machine.
- Final training loss (mean of the last 50 steps): {info['loss_curve'][-1][1]:.4f}

## Held-out accuracy
Exact match, greedy, on `task.instances(d, n={n}, seed=1234, split="test")` per task and difficulty (fewer than
{n} where the split holds fewer distinct instances: 1-digit squares have 10 in all, about 2 held out).

{accuracy_table(cells)}

The same cells split by operand length. Operands of **unequal length** (`72 + 5`, `0 + 25`; about a fifth of each
level from 2 up, as in the GPT-3 paper's files):

{facet_table(cells, "operands=unequal length")}

Operands of **equal length**:

{facet_table(cells, "operands=equal length")}
{notes}"""
    return save_card(folder, text)


# --- isabench finetune ----------------------------------------------------------------------------------------
def history_table(history: list[dict], best: int) -> str:
    lines = ["| epoch | train loss | dev accuracy | CPU s | wall s |", "|---|---|---|---|---|"]
    for h in history:
        mark = " (kept)" if h["epoch"] == best else ""
        dev = "not read" if h["dev_accuracy"] is None else pct(h["dev_accuracy"])
        lines.append(f"| {h['epoch']} | {h['train_loss']:.4f} | {dev}{mark} | {h['cpu_s']} | "
                     f"{h['wall_s']} |")
    return "\n".join(lines)


def load_snippet(folder: str, name: str, record: dict) -> str:
    """`name` loads through isabench (a short name or the folder); plain transformers / peft need the folder."""
    if peft_method(record["config"]["peft"]).adapter:
        shim = ("from llm.peft_methods import accept_past_key_values  # peft 0.21 + transformers 5 need it\n"
                "base = accept_past_key_values(base)\n") if record["config"]["peft"] == "prefix" else ""
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
{shim}model = PeftModel.from_pretrained(base, "{folder}")
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


def determinism(record: dict) -> str:
    """What the weights depend on besides the command, as far as the record says."""
    kernels = record.get("cpu_capability")
    order = record.get("data_order")
    return ("The weights come out the same to the bit for the same seed, torch thread count, torch / transformers / "
            "peft versions" + (f", torch's CPU kernel set ({kernels}; another, e.g. `ATEN_CPU_CAPABILITY=avx2`, "
                               "changes the last bits)" if kernels else "")
            + (f" and data order ({order})" if order else "") + ".")


def data_lines(record: dict) -> str:
    splits, subset = record["splits"], record.get("train_subset")
    test = "test was not read" if record["test"] is None else "test was read once, at the end"
    if not subset:
        return (f"Task `{record['task']}` (bench/tasks), its fixed split: train {splits['train']:,}, dev "
                f"{splits['dev']:,}, test {splits['test']:,} sentences. Trained on train; the epoch was chosen on dev; "
                f"{test}.")
    strata = ", ".join(f"{name}: {n}" for name, n in subset["strata"].items())
    return (f"Task `{record['task']}` (bench/tasks), its fixed split. Trained on **{subset['size']:,} of the "
            f"{subset['of']:,} train sentences** (`--train-size`), a stratified subset drawn with seed "
            f"{subset['seed']} ({strata}; texts sha256 `{subset['texts_sha256']}`): {subset['rule']}. The epoch was "
            f"chosen on the whole dev split ({splits['dev']:,} sentences); {test} ({splits['test']:,} sentences).")


def write_classifier_card(folder: Path, record: dict, note: str = "", name: str | None = None) -> Path:
    """`name`: what loads the folder in the card's snippet (a short name such as `sentiment-lora`, else the path)."""
    cfg, base = record["config"], record["base"]
    method = peft_method(cfg["peft"])
    note = note or record.get("note") or ""
    notes = f"\n## Notes\n{note}\n" if note else ""
    text = f"""# {record['task']} classifier: {base['name']} + a new head, {method.product}

Made by `isabench finetune`, the seed's method: a pretrained encoder, a new classification head, AdamW over a few
epochs of the task's train split, dev accuracy after each epoch, the best epoch kept, test scored once at the end.

## Result
{result_lines(record)}

{history_table(record['history'], record['best_epoch'])}

## Model
- Base: `{base['name']}` ({base['model_type']}), weights content hash `{base['content_hash']}`
  (sha256 of its safetensors, first 12 hex digits); loading refuses a base whose hash differs.
- Head: a new {len(record['labels'])}-way linear layer; labels {label_list(record['labels'])}.
{method.describe(cfg)}
- Trainable parameters: **{record['trainable_params']:,}** of {record['n_params']:,} ({record['trainable_share']:.2%}).
- Content hash of this folder, as `isabench run` records it: `{record.get('content_hash') or '-'}`.

## Data
{data_lines(record)}

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
To another folder:
```
{record['reproduce']}
```
{determinism(record)}

## Load
{load_snippet(str(folder), name or str(folder), record)}
"""
    return save_card(folder, text)
