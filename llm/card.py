"""The model card (README.md of an exported model): how it was made and what it scores on held-out instances."""
from __future__ import annotations

from pathlib import Path

from llm.evaluate import Cell
from llm.training import write_atomic


def accuracy_table(cells: list[Cell]) -> str:
    """Markdown: one row per task, one column per difficulty, 'accuracy % (n)'."""
    by_task: dict[str, dict[int, Cell]] = {}
    for c in cells:
        by_task.setdefault(c.task, {})[c.difficulty] = c
    lines = ["| task | difficulty: exact-match accuracy (held-out n) |", "|---|---|"]
    for task, row in by_task.items():
        parts = [f"{d}: **{100 * c.accuracy:.1f} %** ({c.n})" for d, c in sorted(row.items())]
        lines.append(f"| {task} | {' · '.join(parts)} |")
    return "\n".join(lines)


def facet_table(cells: list[Cell], facet: str) -> str:
    """Markdown: accuracy on the instances with one facet value (e.g. operands of unequal length), per task."""
    lines = ["| task | difficulty: exact-match accuracy (held-out n) |", "|---|---|"]
    by_task: dict[str, list[str]] = {}
    for c in cells:
        n, correct = c.facets.get(facet, (0, 0))
        if n:
            by_task.setdefault(c.task, []).append(f"{c.difficulty}: **{100 * correct / n:.1f} %** ({n})")
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


def write_card(folder: Path, info: dict, cells: list[Cell], notes: str = "") -> Path:
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
    path = Path(folder) / "README.md"
    write_atomic(path, text)
    return path

