"""The compiled tier's back half: LLVM set up once per process, a program's modules (isa/llvm_modules.py) built into
objects, and objects loaded into an engine. llvmlite is imported here, on first use."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import sys
import threading
from pathlib import Path

from isa import llvm_ir, llvm_modules
from isa.program import Program

OPT_LEVEL = 2  # the target machine's code generation level
# The IR passes: registers and fuel to SSA, blocks merged, arithmetic and compares folded. Measured against LLVM's
# whole -O2 pipeline (CPU time, best of 5, 2-core EPYC): 2-4x faster to compile (square.s 30 vs 130 ms, wordfreq.s 45
# vs 180 ms), as fast to run (bignum square 0.08 vs 0.14 ns/instr, LCG loop 0.22 both, add/xor loop 0.11 vs 0.09),
# and llvmlite's default pipeline object leaks ~85 KB per module compiled, which these passes do not.
PASSES = ("add_sroa_pass", "add_simplify_cfg_pass", "add_instruction_combine_pass")
# LLVM's loop strength reduction (LSR, part of code generation at O2) runs only on programs without JR/RET and with at
# most this many jump targets (every loop LLVM finds starts at one). Its scalar evolution nests the expression of a
# value that crosses k loops k deep, so k loops in a row cost ~k^2.4 (issue 23: 200 took 100 s and 1.2 GB; 26,214
# overflowed the stack); 16 cost 0.2 s. Small programs keep it: the LCG benchmark loop is 13% slower without it.
LSR_TARGETS = 16


class Builder:
    """The target machine, and `identity`: what the machine code depends on besides the program (for cache keys)."""

    def __init__(self):
        import llvmlite
        import llvmlite.binding as llvm

        self.llvm = llvm
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        cpu, features = llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()
        target = llvm.Target.from_triple(llvm.get_process_triple())
        self.new_machine = functools.partial(target.create_target_machine, cpu=cpu, features=features, opt=OPT_LEVEL,
                                             codemodel="jitdefault")
        self.machine = self.new_machine()  # for building only: an engine takes ownership of (and frees) its own
        source = hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in (llvm_ir, llvm_modules))).hexdigest()
        self.identity = "|".join([source, llvmlite.__version__, ".".join(map(str, llvm.llvm_version_info)),
                                  llvm.get_process_triple(), cpu, features, f"O{OPT_LEVEL}", *PASSES,
                                  f"LSR up to {LSR_TARGETS} targets"])
        self.lock = threading.Lock()  # llvmlite's target machine is not documented as thread-safe: hold it to use

    def build(self, program: Program) -> list[bytes]:
        """One object per module, each module freed before the next is parsed."""
        llvm, objects = self.llvm, []
        words = program.trusted_code().tolist()  # never program.code: see test_a_loaded_program_cannot_be_changed
        targets = {llvm_ir.jump_target(op, a, c) for op, a, _, c in words} - {None}
        lsr = not llvm_ir.indirect(words) and len(targets) <= LSR_TARGETS
        for ir in llvm_modules.modules(program):
            module = llvm.parse_assembly(ir)
            del ir
            module.verify()
            # A pass builder per module: its analysis caches are keyed by Function pointers, which a later module reuses
            builder = llvm.create_pass_builder(self.machine, llvm.create_pipeline_tuning_options(speed_level=OPT_LEVEL))
            passes = llvm.create_new_module_pass_manager()
            for add in PASSES:
                getattr(passes, add)()
            passes.run(module, builder)
            with contextlib.nullcontext() if lsr else self.without_lsr():
                objects.append(self.machine.emit_object(module))
            module.close()
        return objects

    @contextlib.contextmanager
    def without_lsr(self):
        """LLVM's switch is process-wide: numba compiles under its own lock, so hold that too (if numba is loaded)."""
        numba_lock = getattr(sys.modules.get("numba.core.compiler_lock"), "global_compiler_lock", None)
        with numba_lock or contextlib.nullcontext():
            self.llvm.set_option("isabench", "-disable-lsr=true")
            try:
                yield
            finally:
                self.llvm.set_option("isabench", "-disable-lsr=false")

    def load(self, objects: list[bytes]) -> tuple[object, int]:
        """(an engine holding the objects' code, the address of llvm_modules.RUN_SYMBOL in it)."""
        llvm = self.llvm
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.new_machine())
        for obj in objects:
            engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        address = engine.get_function_address(llvm_modules.RUN_SYMBOL)
        if not address:
            raise RuntimeError(f"compiled object lacks {llvm_modules.RUN_SYMBOL}")
        return engine, address


@functools.cache
def builder() -> Builder:
    return Builder()
