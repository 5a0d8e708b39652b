"""Many listings in the canonical form assembled in one compiled pass, each laid out for isa/jit_many.py.

The canonical form is what isa/disasm.format_instruction prints, one instruction a line, and what the emulate task's
generator writes (bench/tasks/emulate_gen.program_lines): `li r1, 3`, `L4: addi r1, r1, 3`, `bnei r4, 0, L4`; a
label `L<k>: ` only on line k (counting from 0), lowercase mnemonics, registers r0..r15, decimal immediates of at
most 18 digits with no leading zero, operands joined by ", ", lines by a single newline. A listing in that form gives
exactly the code isa.asm.assemble gives it (tests/test_isa_bulk_asm.py holds the two to that, on generated and on
randomly damaged listings). Anything else (comments, other labels, memory operands, spacing, a blank line, an error)
is marked not canonical and left to isa.asm, which assembles it or says where it is wrong: this pass never reports an
error itself.

Why: assembling an emulate instance in Python took ~100 µs, thirty times the machine's run of it (issue 19).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from isa import spec
from isa.jit import BLOCK_ENDS, FALL_OFF

NL, SEP, SPACE, COMMA, COLON, MINUS, ZERO, NINE = 10, 0, 32, 44, 58, 45, 48, 57
LOWER_A, LOWER_Z, LOWER_R, UPPER_L = 97, 122, 114, 76
REG, IMM, LABEL, OTHER = 1, 2, 3, 4  # operand kinds as the pass reads them; OTHER (memory) is never canonical
NAME_WIDTH = max(len(op.name) for op in spec.OPS)
KINDS = np.zeros(3 * spec.NUM_OPS, np.int64)  # KINDS[3 * op + slot]: the kind of each operand, 0 past the last
for _op in spec.OPS:
    KINDS[3 * _op.code:3 * _op.code + len(_op.operands)] = [{"r": REG, "i": IMM, "l": LABEL, "m": OTHER}[k]
                                                            for k in _op.operands]
ENDS_BLOCK = np.array([code in BLOCK_ENDS for code in range(spec.NUM_OPS)], np.bool_)

# Mnemonic lookup in one multiply: BUCKETS[bucket(key)] is op + 1 (0: none), KEYS[op] each mnemonic packed (its
# bytes in one int, the first lowest, as the pass packs them). The multiplier is the first of a fixed sequence that
# puts no two mnemonics in one of 256 buckets.
KEYS = np.array([sum(c << (8 * k) for k, c in enumerate(op.name.encode())) for op in spec.OPS], np.int64)
BITS = 8
SHIFT = np.uint64(64 - BITS)


def _bucket(key: int, multiplier: int) -> int:
    """(key * multiplier mod 2**64) >> (64 - BITS), as the pass computes it in uint64."""
    return ((int(key) * multiplier) % (1 << 64)) >> (64 - BITS)


_M = next(m for m in ((0x9E3779B97F4A7C15 * (2 * t + 1)) % (1 << 64) for t in range(1 << 16))
          if len({_bucket(k, m) for k in KEYS}) == spec.NUM_OPS)
BUCKETS = np.zeros(1 << BITS, np.int64)
BUCKETS[[_bucket(k, _M) for k in KEYS]] = np.arange(1, spec.NUM_OPS + 1)
MULTIPLIER = np.uint64(_M)


@njit(cache=True)
def _assemble(buf, keys, buckets, kinds, ends_block):
    """Every listing of buf, each ended by a NUL: (code (slots, 4), runlen (slots,), starts (programs + 1,),
    canonical (programs,)). Program p's words are code[starts[p]:starts[p + 1]], its last row the FALL_OFF sentinel.
    One flat loop (Numba's calls to small helpers returning tuples cost ~15 ns each, ten times the byte they read);
    no bounds test inside a listing: every scan stops at the NUL that ends it."""
    programs, lines = 0, 0
    for c in buf:
        if c == SEP:
            programs += 1
            lines += 1
        elif c == NL:
            lines += 1
    code = np.zeros(4 * (lines + programs), np.int64)
    runlen = np.zeros(lines + programs, np.int64)
    starts = np.zeros(programs + 1, np.int64)
    canonical = np.ones(programs, np.bool_)
    labelled = np.zeros(lines + programs, np.bool_)
    jumps = np.zeros(lines + programs, np.int64)  # this listing's jump targets
    i, base = 0, 0
    for p in range(programs):
        first, j, good, n_jumps = i, 0, True, 0
        while good:  # line j of listing p
            row = base + j
            if buf[i] == UPPER_L:  # `L<j>: `
                i += 1
                start, k = i, 0
                while ZERO <= buf[i] <= NINE and i - start < 10:
                    k = k * 10 + np.int64(buf[i] - ZERO)
                    i += 1
                if (i == start or (i - start > 1 and buf[start] == ZERO) or k != j or buf[i] != COLON
                        or buf[i + 1] != SPACE):
                    good = False
                    break
                labelled[row] = True
                i += 2
            start, key = i, np.int64(0)
            while LOWER_A <= buf[i] <= LOWER_Z and i - start <= NAME_WIDTH:
                key |= np.int64(buf[i]) << (8 * (i - start))
                i += 1
            op = buckets[(np.uint64(key) * MULTIPLIER) >> SHIFT] - 1
            if op < 0 or keys[op] != key:
                good = False
                break
            code[4 * row] = op
            for slot in range(3):
                kind = kinds[3 * op + slot]
                if kind == 0:
                    break
                if slot == 0:
                    if buf[i] != SPACE:
                        good = False
                        break
                    i += 1
                else:
                    if buf[i] != COMMA or buf[i + 1] != SPACE:
                        good = False
                        break
                    i += 2
                c = buf[i]
                negative = False
                if kind == REG:
                    if c != LOWER_R:
                        good = False
                        break
                    i += 1
                    most = 2
                elif kind == LABEL:
                    if c != UPPER_L:
                        good = False
                        break
                    i += 1
                    most = 9
                elif kind == IMM:
                    if c == MINUS:
                        negative = True
                        i += 1
                    most = 18
                else:
                    good = False
                    break
                start, value = i, np.int64(0)
                while ZERO <= buf[i] <= NINE and i - start <= most:
                    value = value * 10 + np.int64(buf[i] - ZERO)
                    i += 1
                n = i - start
                if n == 0 or n > most or (n > 1 and buf[start] == ZERO):
                    good = False
                    break
                if kind == REG:
                    if value >= 16:
                        good = False
                        break
                elif kind == LABEL:
                    jumps[n_jumps] = value
                    n_jumps += 1
                elif negative:
                    if value == 0:
                        good = False
                        break
                    value = -value
                code[4 * row + 1 + slot] = value
            j += 1
            if not good or buf[i] == SEP:
                break
            good = buf[i] == NL
            i += 1
        for k in range(n_jumps if good else 0):  # every jump must reach a labelled line of this listing
            good = good and jumps[k] < j and labelled[base + jumps[k]]
        if not good:  # not canonical: an empty program (its sentinel alone), and on to the next listing
            canonical[p] = False
            code[4 * base:4 * (base + j + 1)] = 0  # the lines read, and the one that failed
            labelled[base:base + j + 1] = False
            j, i = 0, first
            while buf[i] != SEP:
                i += 1
        code[4 * (base + j)] = FALL_OFF
        for pc in range(j - 1, -1, -1):
            runlen[base + pc] = 1 if ends_block[code[4 * (base + pc)]] else 1 + runlen[base + pc + 1]
        base += j + 1
        starts[p + 1] = base
        i += 1  # past the NUL
    return code, runlen, starts, canonical


@dataclass(frozen=True)
class Listings:
    """Programs laid end to end for isa/jit_many.py: program p is rows starts[p]..starts[p + 1] - 1 of the (slots, 4)
    words, flattened in `code`, its last row the FALL_OFF sentinel; `runlen` as isa/jit.py's Prepared has it."""

    code: np.ndarray  # (4 * slots,) int64
    runlen: np.ndarray  # (slots,) int64
    starts: np.ndarray  # (programs + 1,) int64
    canonical: np.ndarray  # (programs,) bool: False where the listing is left to isa.asm (its program is empty here)


def assemble_listings(texts: list[str]) -> Listings:
    """Every text assembled in one pass, each marked canonical or not (a text holding a NUL or a non-ASCII
    character marks them all not: the pass ends each listing at a NUL)."""
    n = len(texts)
    try:
        buf = ("\0".join(texts) + "\0").encode("ascii")
    except (UnicodeEncodeError, TypeError):  # a text that is not ASCII, or not a str: isa.asm's caller says which
        buf = None
    if n and buf is not None:
        code, runlen, starts, canonical = _assemble(np.frombuffer(buf, np.uint8), KEYS, BUCKETS, KINDS,
                                                    ENDS_BLOCK)
        if len(canonical) == n:
            return Listings(code, runlen, starts, canonical)
    code = np.zeros((n, 4), np.int64)
    code[:, 0] = FALL_OFF
    return Listings(code.reshape(-1), np.zeros(n, np.int64), np.arange(n + 1, dtype=np.int64), np.zeros(n, np.bool_))
