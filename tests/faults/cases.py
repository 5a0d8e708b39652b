"""The fault sweep's in-process classes: damaged run files, planted links, damaged model folders, hostile inputs.

Each calls `isabench` through bench.cli.main in this process (one import of torch and numba for hundreds of cases)
and counts any exception that escapes it as a traceback.
"""
from __future__ import annotations

import contextlib
import io
import json
import random
import shutil
from pathlib import Path

from sweep import RUN, Tally, answers, reference_run

NOT_TEXT = ["", " ", "\x00", "\r", "\f", "\x1c", "\u2028", "\ufeff", "é", "\U0001F600", "\\", "'", '"', ";", "#", ","]


def call(*argv) -> tuple[object, str, str]:
    """(exit status or the exception's name, stdout, stderr) of `isabench ARGV` run here."""
    from bench import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in argv])
        except BaseException as e:  # noqa: BLE001 - that is what is being counted
            code = f"traceback {type(e).__name__}: {e}"[:300]
    return code, out.getvalue(), err.getvalue()


def fresh_copy(reference: Path, work: Path, name: str) -> Path:
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(reference, folder)
    return folder


# --- records.jsonl ----------------------------------------------------------------------------------------------------
def corrupt_lines(lines: list[bytes], rng: random.Random) -> tuple[str, list[bytes]]:
    """One of several damages to a records file's lines (each line ends with \\n), named."""
    i = rng.randrange(len(lines))
    rec = json.loads(lines[i])
    kinds = {
        "truncated at a random byte": lambda: (b"".join(lines)[:rng.randrange(1, sum(map(len, lines)))]
                                               .splitlines(keepends=True)),
        "random bytes flipped": lambda: flip(lines, rng),
        "a garbage line inserted": lambda: lines[:i] + [bytes(rng.randrange(256) for _ in range(40)) + b"\n"]
        + lines[i:],
        "lines doubled": lambda: lines + rng.sample(lines, min(5, len(lines))),
        "a field of the wrong type": lambda: lines[:i] + [retyped(rec, rng)] + lines[i + 1:],
        "a required field missing": lambda: lines[:i] + [dumps({k: v for k, v in rec.items()
                                                                if k != rng.choice(["key", "exact", "task"])})]
        + lines[i + 1:],
        "emptied": lambda: [],
        "only whitespace": lambda: [b"   \n", b"\t\n"],
        "NUL bytes": lambda: lines[:i] + [b"\x00" * 30 + b"\n"] + lines[i:],
        "invalid UTF-8": lambda: lines[:i] + [b'{"key": "\xff\xfe"}\n'] + lines[i:],
        "CRLF line ends": lambda: [line[:-1] + b"\r\n" for line in lines],
        "a 1 MB line": lambda: lines + [b"[" + b"1," * 500_000 + b"1]\n"],
        "a record of an unknown task": lambda: lines + [dumps({**rec, "task": "bogus", "key": "bogus|1"})],
        "JSON that is not an object": lambda: lines[:i] + [b"[1, 2]\n", b"42\n", b"null\n"] + lines[i:],
        "lines shuffled": lambda: rng.sample(lines, len(lines)),
    }
    name = rng.choice(sorted(kinds))
    return name, kinds[name]()


def dumps(rec) -> bytes:
    return json.dumps(rec).encode() + b"\n"


def flip(lines: list[bytes], rng: random.Random) -> list[bytes]:
    data = bytearray(b"".join(lines))
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data).splitlines(keepends=True)


def retyped(rec: dict, rng: random.Random) -> bytes:
    field = rng.choice(["difficulty", "exact", "key", "backend", "per_answer_s", "steps"])
    return dumps({**rec, field: rng.choice(["x", "1", [], {}, None, True, 1.5, -1])})


def damaged_records(t: Tally, scale: int, rng: random.Random, work: Path) -> None:
    """Every line of the damaged file survives (records.jsonl or records.rejected.jsonl), and the same `run` then
    holds exactly an uninterrupted run's answers."""
    reference, expected, _ = reference_run(work)
    for i in range(24 * scale):
        folder = fresh_copy(reference, work, f"records{i}")
        path = folder / "records.jsonl"
        name, lines = corrupt_lines(path.read_bytes().splitlines(keepends=True), rng)
        path.write_bytes(b"".join(lines))
        code, _, err = call("report", folder)
        if not isinstance(code, int) or code not in (0, 1, 2):
            t.fail(f"{name}: report {code}", f"{folder}: {err[-400:]}")
            continue
        code, _, err = call(*RUN, "--out", folder)
        kept = (path.read_bytes() + (folder / "records.rejected.jsonl").read_bytes()
                if (folder / "records.rejected.jsonl").exists() else path.read_bytes())
        kept_lines = set(kept.splitlines())  # split as records.py splits, so CRLF and moved lines compare alike
        lost = [line for line in b"".join(lines).splitlines() if line.strip() and line not in kept_lines]
        got = answers(folder)
        differ = {k for k in expected.keys() | got.keys() if got.get(k) != expected.get(k)}
        damaged = damaged_but_readable(path, reference / "records.jsonl")
        t.check(code == 0 and not lost and not differ - damaged,
                f"{name}: kept every line, completion matches" + (" (but a damaged line that still reads as a "
                                                                  "record counts as one)" if differ else ""),
                f"{folder}: run {code}; {len(lost)} line(s) lost; {len(differ - damaged)} answer(s) differ; "
                f"{err[-400:]}")


def damaged_but_readable(path: Path, original: Path) -> set[str]:
    """Keys of lines that were damaged yet still read as records (a flipped digit in an answer): no check can tell
    them from the truth, so they may differ from an uninterrupted run."""
    from bench import records

    before = set(original.read_bytes().splitlines())
    return {rec["key"] for raw in path.read_bytes().splitlines() if raw not in before
            for rec in records.parse(raw).records}


# --- meta.json ------------------------------------------------------------------------------------------------------
SHAPES = ['"str"', "[]", "null", '{"invocations": 5}', '{"tasks": {"add": 5}}', '{"data": "x"}', '{"machine": 7}',
          '{"seed": "9"}', '{"seed": true}', '{"git": {"commit": 5}}', '{"sides": {"llm": []}}', "", "{", "\x00"]


def damaged_meta(t: Tally, scale: int, rng: random.Random, work: Path) -> None:
    from bench.meta import shape_problem

    reference, expected, _ = reference_run(work)
    real = json.loads((reference / "meta.json").read_text())
    texts = SHAPES + [mutated_meta(real, rng) for _ in range(6 * scale)]
    for i, text in enumerate(texts):
        folder = fresh_copy(reference, work, f"meta{i}")
        (folder / "meta.json").write_text(text)
        commands = [("report", folder)] + ([("plot", folder)] if i % 4 == 0 else []) + [(*RUN, "--out", folder)]
        codes = [call(*c) for c in commands]
        bad = [(c[0], code, err[-300:]) for c, (code, _, err) in zip(commands, codes) if code != 0]
        try:
            rewritten = shape_problem(json.loads((folder / "meta.json").read_text())) is None
        except ValueError:
            rewritten = False
        t.check(not bad and rewritten and answers(folder) == expected, "said, read around, rewritten by run",
                f"{folder}: {text[:60]!r}: {bad}; rewritten sound: {rewritten}")


def mutated_meta(meta: dict, rng: random.Random) -> str:
    """The real meta.json with one value somewhere replaced by junk, or its text cut short."""
    if rng.random() < 0.25:
        text = json.dumps(meta)
        return text[:rng.randrange(len(text))]
    meta = json.loads(json.dumps(meta))
    node = meta
    while isinstance(node, dict) and node and rng.random() < 0.7:
        key = rng.choice(sorted(node))
        if not isinstance(node[key], dict) or not node[key]:
            break
        node = node[key]
    if isinstance(node, dict) and node:
        node[rng.choice(sorted(node))] = rng.choice(["x", 7, -1.5, [], [1], {}, None, True, {"a": {"b": []}}])
    return json.dumps(meta)


# --- links ------------------------------------------------------------------------------------------------------------
LINKED = [".lock", "records.jsonl", "records.rejected.jsonl", "meta.json", "summary.csv", "breakdown.csv",
          "report.md", "report.tex", "plots/accuracy.png", "plots/time.svg", "plots"]


def links(t: Tally, scale: int, rng: random.Random, work: Path) -> None:
    """A link at each path, in a fresh folder (`run`) and in a finished one (`report`, `plot`): no victim changes."""
    reference, _, _ = reference_run(work)
    for name in LINKED:
        figures = name.startswith("plots")
        for command in ("run", "report", "plot") if figures or name == "records.jsonl" else ("run", "report"):
            folder = work / f"link-{command}-{name.replace('/', '-')}"
            shutil.rmtree(folder, ignore_errors=True)
            if command == "run":
                folder.mkdir()
            else:
                shutil.copytree(reference, folder)
                target = folder / name
                shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
            victim = work / f"victim-{command}-{name.replace('/', '-')}"
            victim.mkdir() if name == "plots" else victim.write_bytes(b"victim\n")
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).symlink_to(victim)
            argv = [a for a in RUN if a != "--no-plots" or not figures] + ["--out", folder] if command == "run" \
                else [command, folder]
            code, _, err = call(*argv)
            untouched = (list(victim.iterdir()) == [] if victim.is_dir() else victim.read_bytes() == b"victim\n")
            t.check(isinstance(code, int) and untouched, f"{command}: victim untouched (exit {code})",
                    f"{folder / name}: exit {code}; victim untouched: {untouched}; {err[-300:]}")


# --- model folders ------------------------------------------------------------------------------------------------
def damaged_models(t: Tally, scale: int, rng: random.Random, work: Path) -> None:
    """Every damage fails before work: exit 2, no run folder, no traceback."""
    from sweep import REPO

    sources = {"causal": (REPO / "llm" / "default_model", "add"),
               "adapter": (REPO / "llm" / "adapters" / "sentiment-minilm-lora", "sentiment")}
    damages = [("causal", "model.safetensors", "half"), ("causal", "model.safetensors", "empty"),
               ("causal", "model.safetensors", "8 bytes"), ("causal", "model.safetensors", "garbage"),
               ("causal", "config.json", "missing"), ("causal", "config.json", "[]"),
               ("causal", "config.json", "{"), ("causal", "config.json", '{"model_type": "nonsense"}'),
               ("causal", "tokenizer.json", "missing"), ("causal", "tokenizer.json", "half"),
               ("adapter", "adapter_model.safetensors", "half"), ("adapter", "adapter_model.safetensors", "garbage"),
               ("adapter", "adapter_config.json", "missing"), ("adapter", "adapter_config.json", "{}"),
               ("adapter", "adapter_config.json", "{"), ("adapter", "finetune.json", "half")]
    for i in range(len(damages) * scale):
        kind, name, how = damages[i % len(damages)]
        source, task = sources[kind]
        model = work / f"model{i}"
        shutil.rmtree(model, ignore_errors=True)
        shutil.copytree(source, model)
        damage(model / name, how, rng)
        out = work / f"model-run{i}"
        code, _, err = call("run", "--tasks", task, "--backends", "llm", "--model", model, "--device", "cpu",
                            "--n", 2, "--out", out, "--quiet", "--no-plots")
        t.check(code == 2 and not out.exists() and "Traceback" not in err, f"{kind} {name} {how}: exit {code}",
                f"{model}: exit {code}; folder made: {out.exists()}; {err[-400:]}")


def damage(path: Path, how: str, rng: random.Random) -> None:
    data = path.read_bytes() if path.exists() else b""
    if how == "missing":
        path.unlink()
    elif how == "half":
        path.write_bytes(data[:len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "8 bytes":
        path.write_bytes(data[:8])
    elif how == "garbage":
        path.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    else:
        path.write_text(how)


# --- inputs ---------------------------------------------------------------------------------------------------------
def fuzzed_solve(t: Tally, scale: int, rng: random.Random, work: Path) -> None:
    """Hostile `solve` inputs, every task, on the reference and the ISA: an answer or a clear error (exit 0 or 2)."""
    from bench.tasks import get_task, task_names

    for name in task_names():
        task = get_task(name)
        seeds = [i.text for d in task.difficulties[:2] for i in task.instances(d, 3, 0, "test")] or ["x"]
        for _ in range(20 * scale):
            text = hostile(rng.choice(seeds), rng)
            for backend in ("reference", "isa"):
                code, _, err = call("solve", name, text, "--backend", backend, "--tier", "jit")  # ref: 73 s on 5000 digits
                t.check(code in (0, 2) and "Traceback" not in err, f"{backend}: exit {code}",
                        f"solve {name} {text[:80]!r} --backend {backend}: {code}: {err[-300:]}")


def hostile(seed: str, rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:  # the seed with characters replaced, inserted or dropped
        chars = list(seed)
        for _ in range(rng.randint(1, 5)):
            at = rng.randrange(len(chars) + 1)
            chars[at:at + rng.randint(0, 1)] = rng.choice(NOT_TEXT + list("0123456789+-*^()=?abc "))
        return "".join(chars)
    if kind == 1:
        return rng.choice(NOT_TEXT) * rng.randint(1, 3)
    if kind == 2:
        return "9" * rng.choice([30, 300, 5000]) + rng.choice([" + 1", " * 9", "", "^2"])
    if kind == 3:
        return seed * rng.randint(2, 50)
    if kind == 4:
        return "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randint(1, 40)))
    return seed.replace(" ", rng.choice(["\r", "\f", "\t", "\u00a0", ";", "\n"]))


SOUP_TOKENS = ["li", "mov", "add", "addi", "sub", "subi", "mul", "muli", "div", "mod", "halt", "beq", "bne", "blt",
               "bnei", "jmp", "call", "ret", "ld", "st", "r0", "r1", "r2", "r3", "r7", "lr", "0", "1", "7", "-3",
               "0x7fffffffffffffff", "-9223372036854775808", ",", ":", "[", "]", "+", "L1", "L1:", ".data", ".text",
               ".word", ".zero", ".equ", "'a'", "; c", "bogus"]


def asm_soups(t: Tally, scale: int, rng: random.Random, work: Path) -> None:
    """Token soups and near-programs through `isabench asm FILE --run` on every tier: the same exit and the same
    report from each, never a traceback."""
    for i in range(100 * scale):
        path = work / f"soup{i % 50}.s"
        path.write_text(soup(rng) if i % 2 else near_program(rng))
        results = {tier: call("asm", path, "--run", "--tier", tier, "--fuel", 2000) for tier in ("ref", "jit",
                                                                                                   "compiled")}
        codes = {tier: code for tier, (code, _, _) in results.items()}
        outs = {out for _, out, _ in results.values()}
        crashed = [tier for tier, (code, _, err) in results.items() if code not in (0, 1, 2) or "Traceback" in err]
        t.check(not crashed and len(set(codes.values())) == 1 and len(outs) == 1,
                f"{'assembled' if codes['ref'] in (0, 1) else 'refused'}: tiers agree (exit {codes['ref']})",
                f"{path.read_text()!r}: {codes}; outputs differ: {len(outs) > 1}; "
                f"{[results[x][2][-200:] for x in crashed]}")


def soup(rng: random.Random) -> str:
    return "".join(rng.choice(SOUP_TOKENS) + rng.choice([" ", "\n", ", ", "\r\n", "\f", "\t"])
                   for _ in range(rng.randint(1, 25)))


def near_program(rng: random.Random) -> str:
    """Mostly well-formed instructions with random operands, jumps to a few labels, a halt at the end: these run."""
    lines = []
    for n in range(rng.randint(2, 12)):
        op = rng.choice(["li r{a}, {i}", "addi r{a}, r{b}, {i}", "mul r{a}, r{b}, r{c}", "sub r{a}, r{b}, r{c}",
                         "div r{a}, r{b}, r{c}", "bnei r{a}, {i}, L{l}", "blt r{a}, r{b}, L{l}", "st r{a}, [r{b}]",
                         "ld r{a}, [r{b} + {i}]", "halt"])
        lines.append(f"L{n}: " + op.format(a=rng.randrange(1, 8), b=rng.randrange(8), c=rng.randrange(8),
                                           i=rng.choice([0, 1, -1, 3, 1000, 2**62, -2**63]), l=rng.randrange(n + 1)))
    return "\n".join(lines + ["halt"]) + "\n"
