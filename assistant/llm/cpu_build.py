"""Which x86 instruction sets llama.cpp is compiled for, and which this CPU has.

llama-cpp-python compiles llama.cpp when it is installed, and what it is compiled for decides
the embedded model's speed. A portable AVX2 build leaves a newer CPU's AVX-512 unused: on the
development VM (a Xeon with AVX-512 and VNNI, 2 threads) the 1.5B's prefill ran at 66 tokens/s
with the AVX2 build and at 97 with AVX-512 (bench/RESULTS.md, "llama.cpp built for the CPU").
A build for an instruction set the CPU lacks dies of SIGILL at its first matrix product.

So the Makefile compiles llama.cpp for the instruction sets of the CPU it installs on
(``python assistant/llm/cpu_build.py cmake-args``) into a wheel cache keyed by those options
(``key``), and the embedded backend refuses, with the fix, a build that needs what this CPU
lacks. AMX is never switched on: with it, llama.cpp 0.3.36's native build crashed
(segmentation fault) at the first prefill of the Qwen Q4_K_M models on the development VM,
as in llama.cpp issue #20824 (a segfault in ``ggml_backend_amx_mul_mat`` with a Q4_K_M model).

The Makefile runs this file as a script before anything is installed, so at import time it
imports nothing but the standard library (``installed_build`` imports llama_cpp when called).
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

_X86 = {"x86_64", "amd64", "i686", "i386"}
_BASE = "-DLLAMA_CURL=OFF"


@dataclass(frozen=True)
class InstructionSet:
    """One ggml CMake option, its name in llama.cpp's system info, the CPU flags it needs."""

    option: str
    name: str
    cpu_flags: tuple[str, ...]
    reported: bool = True  # does llama_print_system_info name it when compiled in?


# In ggml's order; GGML_AVX512 compiles with -mavx512f/cd/vl/dq/bw, so it needs all five.
# With GGML_NATIVE=OFF, ggml switches SSE4.2 to F16C on by default: each is set explicitly.
INSTRUCTION_SETS = (
    InstructionSet("GGML_SSE42", "SSE4.2", ("sse4_2",), reported=False),
    InstructionSet("GGML_AVX", "AVX", ("avx",)),
    InstructionSet("GGML_AVX2", "AVX2", ("avx2",)),
    InstructionSet("GGML_FMA", "FMA", ("fma",)),
    InstructionSet("GGML_F16C", "F16C", ("f16c",)),
    InstructionSet("GGML_BMI2", "BMI2", ("bmi2",)),
    InstructionSet("GGML_AVX_VNNI", "AVX_VNNI", ("avx_vnni",)),
    InstructionSet(
        "GGML_AVX512", "AVX512", ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw")
    ),
    InstructionSet("GGML_AVX512_VBMI", "AVX512_VBMI", ("avx512vbmi",)),
    InstructionSet("GGML_AVX512_VNNI", "AVX512_VNNI", ("avx512_vnni",)),
    InstructionSet("GGML_AVX512_BF16", "AVX512_BF16", ("avx512_bf16",)),
)
# Compiled in, these crash the models this project ships (see the module docstring).
REFUSED = ("AMX_INT8",)


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The flags of the first processor in ``/proc/cpuinfo`` (empty where there is none)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return frozenset()
    match = re.search(r"^flags\s*:(.*)$", cpuinfo, re.MULTILINE)
    return frozenset(match.group(1).split()) if match else frozenset()


def supported(flags: frozenset[str]) -> list[InstructionSet]:
    """The instruction sets whose every CPU flag is present."""
    return [s for s in INSTRUCTION_SETS if all(flag in flags for flag in s.cpu_flags)]


def cmake_args(flags: frozenset[str], machine: str | None = None) -> str:
    """The ``CMAKE_ARGS`` that compile llama.cpp for exactly these flags (on x86; elsewhere
    llama.cpp's own defaults)."""
    if (machine or platform.machine()).lower() not in _X86:
        return _BASE
    have = supported(flags)
    options = " ".join(f"-D{s.option}={'ON' if s in have else 'OFF'}" for s in INSTRUCTION_SETS)
    return f"-DGGML_NATIVE=OFF {options} {_BASE}"


def compiled(system_info: str) -> frozenset[str]:
    """The features llama.cpp reports as compiled in (``llama_print_system_info``)."""
    return frozenset(re.findall(r"([A-Z0-9_]+) = 1", system_info))


def missing_on_cpu(features: frozenset[str], flags: frozenset[str]) -> list[str]:
    """Instruction sets the build uses and this CPU lacks (each one a SIGILL waiting)."""
    if not flags:
        return []  # nothing is known about this CPU: nothing to refuse
    have = {s.name for s in supported(flags)}
    return [s.name for s in INSTRUCTION_SETS if s.name in features and s.name not in have]


def unused_on_cpu(features: frozenset[str], flags: frozenset[str]) -> list[str]:
    """Instruction sets this CPU has and the build does not use."""
    return [s.name for s in supported(flags) if s.reported and s.name not in features]


def refused(features: frozenset[str]) -> list[str]:
    """Compiled-in features known to crash the shipped models."""
    return [name for name in REFUSED if name in features]


def installed_build() -> str:
    """``llama_print_system_info()`` of the installed llama.cpp (imported only when asked)."""
    import llama_cpp

    return str(llama_cpp.llama_print_system_info().decode("utf-8", "replace")).strip()


def build_problem(system_info: str, flags: frozenset[str]) -> str | None:
    """Why this llama.cpp build cannot run here, or None."""
    features = compiled(system_info)
    lacking = missing_on_cpu(features, flags)
    if lacking:
        return f"llama.cpp was compiled for {', '.join(lacking)}, which this CPU lacks"
    crashing = refused(features)
    if crashing:
        return (f"llama.cpp was compiled with {', '.join(crashing)}, which crashes the "
                "Q4_K models this project ships (llama.cpp issue #20824)")  # fmt: skip
    return None


def requirement(pyproject: Path) -> str:
    """The llama-cpp-python requirement that ``pyproject.toml`` declares."""
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    for line in declared:
        if re.match(r"llama[-_]cpp[-_]python\b", line, re.IGNORECASE):
            return str(line)
    raise SystemExit(f"{pyproject} declares no llama-cpp-python")


def wheel_key(requirement_line: str, args: str) -> str:
    """A wheel cache folder name: the pinned version and a hash of the build options."""
    version = requirement_line.split("==")[-1].strip() if "==" in requirement_line else "any"
    digest = hashlib.sha256(f"{requirement_line}\n{args}".encode()).hexdigest()[:12]
    return f"{version}-{digest}"


def main(argv: list[str]) -> int:
    """``cmake-args`` | ``key`` | ``requirement``: what the Makefile needs, one line."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    args = os.environ.get("CMAKE_ARGS") or cmake_args(cpu_flags())
    commands = {
        "cmake-args": lambda: args,
        "requirement": lambda: requirement(pyproject),
        "key": lambda: wheel_key(requirement(pyproject), args),
    }
    if len(argv) != 1 or argv[0] not in commands:
        print(f"usage: cpu_build.py {{{'|'.join(commands)}}}", file=sys.stderr)
        return 2
    print(commands[argv[0]]())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
