"""Load a GGUF file (llama.cpp's one-file format) as a transformers causal LM, and say how it was quantised.

transformers dequantises every tensor on load (`gguf_file=`): the model then computes in an ordinary dtype (float32
by default on CPU) with the quantised file's rounded weights. Its records are keyed by the GGUF file's own bytes.
"""
from __future__ import annotations

import functools
import os
from collections import Counter
from contextlib import contextmanager
from pathlib import Path


def field(reader, key: str):
    """A metadata value from a GGUFReader (a scalar, a string or a list), or None when the file has no such key."""
    found = reader.fields.get(key)
    if found is None:
        return None
    if hasattr(found, "contents"):  # gguf >= 0.11
        return found.contents()
    parts = [found.parts[i] for i in found.data]
    return parts[0][0].item() if len(parts) == 1 and len(parts[0]) == 1 else parts


def quantisation(reader) -> dict:
    """The file's quantisation: llama.cpp's file type (general.file_type), and how many tensors have each type."""
    from gguf import GGMLQuantizationType, LlamaFileType

    types = Counter(GGMLQuantizationType(t.tensor_type).name for t in reader.tensors)
    code = field(reader, "general.file_type")
    try:
        file_type = LlamaFileType(int(code)).name if code is not None else None
    except ValueError:  # a newer llama.cpp type this gguf release does not name
        file_type = f"unknown ({code})"
    if file_type and not file_type.startswith("unknown"):
        label = file_type.removeprefix("MOSTLY_").removeprefix("ALL_")
    else:  # no (known) file type: the commonest type among the quantised tensors
        quantised = Counter({k: n for k, n in types.items() if k not in ("F32", "F16", "BF16")})
        label = (quantised or types).most_common(1)[0][0] if types else "unknown"
    return {"gguf_file_type": file_type, "quantization": label, "gguf_tensor_types": dict(types.most_common()),
            "gguf_architecture": field(reader, "general.architecture"), "gguf_name": field(reader, "general.name")}


@contextmanager
def fast_quiet_gguf_loading():
    """Within the block: one GGUFReader per file, one llama.cpp tensor-name map per (arch, layers), no tqdm bars.

    Why: transformers 5 parses the file three times (config, tokenizer, weights), each parse ~2-3 s of Python over
    the 49 k-token vocabulary, and builds the name map once per module (~400 times for SmolLM2's 30 layers); sharing
    them took SmolLM2-135M's load from 18.2 to 10.4 s wall (1 thread), with identical weights. Its dequantisation bar
    is tqdm's own, which transformers' disable_progress_bar() does not reach. Everything is restored on exit; a gguf
    or transformers release without these names is simply left alone.
    """
    import gguf

    readers: dict[tuple, object] = {}
    patched: list[tuple[object, str, object]] = []

    def patch(owner, name: str, replacement) -> None:
        if hasattr(owner, name):
            patched.append((owner, name, getattr(owner, name)))
            setattr(owner, name, replacement)

    original_reader = gguf.GGUFReader

    def shared_reader(path, *args, **kwargs):
        key = (os.path.realpath(path), args, tuple(sorted(kwargs.items())))
        if key not in readers:
            readers[key] = original_reader(path, *args, **kwargs)
        return readers[key]

    patch(gguf, "GGUFReader", shared_reader)
    if hasattr(gguf, "get_tensor_name_map"):
        patch(gguf, "get_tensor_name_map", functools.lru_cache(maxsize=None)(gguf.get_tensor_name_map))
    try:
        import transformers.modeling_gguf_pytorch_utils as gguf_utils
        from tqdm.auto import tqdm
        patch(gguf_utils, "tqdm", functools.partial(tqdm, disable=True))
    except ImportError:
        pass
    try:
        yield shared_reader
    finally:
        for owner, name, value in reversed(patched):
            setattr(owner, name, value)


def load_gguf(file: Path, name: str, dtype_kwargs: dict, check_tokenizer=lambda tokenizer: None):
    """(model, tokenizer, quantisation info) for one GGUF file, dequantised to the dtype in dtype_kwargs.

    check_tokenizer runs before the (slow) weights are read, so that e.g. a missing chat template fails at once.
    """
    try:
        import gguf  # noqa: F401  (transformers needs it; say so here rather than in its ImportError)
    except ImportError:
        raise ValueError(f"model {name!r} is a GGUF file; loading it needs the `gguf` package (and `accelerate`): "
                         "pip install gguf accelerate") from None
    from transformers import AutoModelForCausalLM, AutoTokenizer

    file = Path(file)
    folder, filename = str(file.parent), file.name
    with fast_quiet_gguf_loading() as reader:
        try:
            info = quantisation(reader(str(file)))
        except (ValueError, OSError, KeyError, IndexError) as err:  # not a GGUF file after all, or a damaged one
            raise ValueError(f"model {name!r}: {file} is not a readable GGUF file ({type(err).__name__}: {err})") \
                from None
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename, local_files_only=True)
        check_tokenizer(tokenizer)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename, local_files_only=True,
                                                     **dtype_kwargs)
    return model, tokenizer, info
