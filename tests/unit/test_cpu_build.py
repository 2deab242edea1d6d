"""llama.cpp compiled for the CPU it runs on: the build options, and the refusal of a build
that would die of SIGILL or of the AMX crash."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from assistant.core.errors import BackendUnavailableError
from assistant.llm import cpu_build, local

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "assistant" / "llm" / "cpu_build.py"

# The flags of the development VM (a Xeon with AVX-512 and AMX) and of a 2011 Sandy Bridge.
XEON = ("fpu sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c avx2 bmi2 avx512f avx512dq "
        "avx512cd avx512bw avx512vl avx_vnni avx512_bf16 avx512vbmi avx512_vnni amx_tile amx_int8")  # fmt: skip
SANDY_BRIDGE = "fpu sse sse2 ssse3 cx16 sse4_1 sse4_2 popcnt avx"
# llama_print_system_info() of the portable AVX2 build and of this project's AVX-512 build.
AVX2_BUILD = ("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "
              "LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | ")  # fmt: skip
AVX512_BUILD = ("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX_VNNI = 1 | AVX2 = 1 | F16C = 1 | "
                "FMA = 1 | BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | "
                "AVX512_BF16 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | ")  # fmt: skip
NATIVE_AMX_BUILD = AVX512_BUILD.replace("LLAMAFILE", "AMX_INT8 = 1 | LLAMAFILE")


def _flags(line: str) -> frozenset[str]:
    return cpu_build.cpu_flags(f"processor\t: 0\nflags\t\t: {line}\nbugs\t\t: spectre\n")


def test_cpuinfo_flags_are_read_from_the_first_processor() -> None:
    flags = _flags(XEON)
    assert {"avx2", "avx512bw", "amx_int8"} <= flags and "spectre" not in flags
    assert cpu_build.cpu_flags("no flags line here") == frozenset()


def test_a_xeon_gets_avx512_and_never_amx() -> None:
    args = cpu_build.cmake_args(_flags(XEON), machine="x86_64")
    assert "-DGGML_NATIVE=OFF" in args and "-DLLAMA_CURL=OFF" in args
    for option in ("AVX2", "AVX512", "AVX512_VNNI", "AVX_VNNI", "AVX512_BF16"):
        assert f"-DGGML_{option}=ON" in args
    assert "AMX" not in args


def test_an_old_cpu_gets_every_missing_set_switched_off() -> None:
    """ggml switches AVX2, FMA, F16C and BMI2 on by default once GGML_NATIVE is off: a CPU
    without them needs each one off explicitly, or its build dies of SIGILL."""
    args = cpu_build.cmake_args(_flags(SANDY_BRIDGE), machine="x86_64")
    assert "-DGGML_AVX=ON" in args and "-DGGML_SSE42=ON" in args
    for option in ("AVX2", "FMA", "F16C", "BMI2", "AVX512"):
        assert f"-DGGML_{option}=OFF" in args


def test_other_architectures_keep_llama_cpp_defaults() -> None:
    assert cpu_build.cmake_args(frozenset({"neon"}), machine="aarch64") == "-DLLAMA_CURL=OFF"


def test_a_build_for_avx512_is_refused_on_a_cpu_without_it() -> None:
    problem = cpu_build.build_problem(AVX512_BUILD, _flags(SANDY_BRIDGE))
    assert problem is not None
    assert "AVX2" in problem and "AVX512" in problem and "lacks" in problem


def test_an_amx_build_is_refused_even_on_a_cpu_with_amx() -> None:
    problem = cpu_build.build_problem(NATIVE_AMX_BUILD, _flags(XEON))
    assert problem is not None and "AMX_INT8" in problem and "#20824" in problem


def test_a_build_the_cpu_can_run_passes_and_unused_sets_are_named() -> None:
    xeon = _flags(XEON)
    assert cpu_build.build_problem(AVX2_BUILD, xeon) is None
    assert cpu_build.build_problem(AVX512_BUILD, xeon) is None
    unused = cpu_build.unused_on_cpu(cpu_build.compiled(AVX2_BUILD), xeon)
    assert unused == ["AVX_VNNI", "AVX512", "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16"]
    assert cpu_build.unused_on_cpu(cpu_build.compiled(AVX512_BUILD), xeon) == []


def test_an_unknown_cpu_refuses_nothing() -> None:
    assert cpu_build.build_problem(AVX512_BUILD, frozenset()) is None


def test_the_wheel_key_follows_the_version_and_the_options() -> None:
    one = cpu_build.wheel_key("llama-cpp-python==0.3.36", "-DGGML_AVX2=ON")
    assert one.startswith("0.3.36-")
    assert one == cpu_build.wheel_key("llama-cpp-python==0.3.36", "-DGGML_AVX2=ON")
    assert one != cpu_build.wheel_key("llama-cpp-python==0.3.36", "-DGGML_AVX512=ON")
    assert one != cpu_build.wheel_key("llama-cpp-python==0.3.37", "-DGGML_AVX2=ON")


def _script(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CMAKE_ARGS"} | env
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          env=environ, cwd="/", check=False)  # fmt: skip


def test_the_script_reads_the_pin_from_pyproject_and_honours_cmake_args() -> None:
    """The Makefile runs it by path before anything is installed."""
    pin = _script("requirement")
    assert pin.returncode == 0 and pin.stdout.strip().startswith("llama-cpp-python==")
    assert pin.stdout.strip() in (REPO / "pyproject.toml").read_text(encoding="utf-8")
    own = _script("cmake-args", CMAKE_ARGS="-DGGML_AVX2=OFF")
    assert own.stdout.strip() == "-DGGML_AVX2=OFF"
    keys = {_script("key", CMAKE_ARGS=a).stdout for a in ("-DGGML_AVX2=OFF", "-DGGML_AVX2=ON")}
    assert len(keys) == 2
    assert _script("nonsense").returncode == 2


def test_the_embedded_backend_refuses_a_build_this_cpu_cannot_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A clear error with the fix, instead of the process dying of SIGILL at the first
    prefill (the library's build is what is faked here; the real one is checked in
    tests/integration/test_local_backend.py)."""
    fake = types.ModuleType("llama_cpp")
    fake.llama_print_system_info = lambda: AVX512_BUILD.encode()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", fake)
    monkeypatch.setattr(local, "cpu_flags", lambda: _flags(SANDY_BRIDGE))
    with pytest.raises(BackendUnavailableError) as caught:
        local.refuse_unrunnable_build()
    assert "AVX512" in caught.value.message and "make llama" in (caught.value.fix or "")
