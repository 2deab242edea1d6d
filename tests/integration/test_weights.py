"""Model assembly: verified, atomic, reused; corruption detected with nothing left behind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.core.errors import ModelIntegrityError, ModelMissingError
from assistant.llm.weights import MODEL_SPECS, ModelSpec, assemble, verify_existing


def make_parts(directory: Path, contents: list[bytes]) -> list[Path]:
    paths = []
    for index, data in enumerate(contents, 1):
        path = directory / f"part{index:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths


def spec_for(contents: list[bytes]) -> ModelSpec:
    digest = hashlib.sha256(b"".join(contents)).hexdigest()
    return ModelSpec("test", "test.gguf", digest, ("no_such_part_module",), "test-parts")


def test_assembles_and_reuses_the_verified_file(tmp_path: Path) -> None:
    contents = [b"GGUF" + b"a" * 1000, b"b" * 2000, b"c" * 10]
    parts = make_parts(tmp_path, contents)
    spec = spec_for(contents)
    models = tmp_path / "models"
    path = assemble(spec, models, parts=parts)
    assert path.read_bytes() == b"".join(contents)
    first_mtime = path.stat().st_mtime_ns
    for part in parts:
        part.unlink()  # a second run must not need the parts at all
    assert assemble(spec, models, parts=parts) == path
    assert path.stat().st_mtime_ns == first_mtime
    assert verify_existing(spec, models)


def test_corrupted_part_is_detected_and_nothing_is_left_behind(tmp_path: Path) -> None:
    contents = [b"GGUF" + b"a" * 1000, b"b" * 2000]
    spec = spec_for(contents)
    corrupted = make_parts(tmp_path, [contents[0], b"b" * 1999 + b"X"])
    models = tmp_path / "models"
    with pytest.raises(ModelIntegrityError) as excinfo:
        assemble(spec, models, parts=corrupted)
    assert spec.sha256 in str(excinfo.value) and "--force-reinstall" in str(excinfo.value)
    leftovers = [p.name for p in models.iterdir() if not p.name.startswith(".assemble")]
    assert leftovers == []


def test_file_changed_after_verification_is_reassembled(tmp_path: Path) -> None:
    contents = [b"GGUF" + b"x" * 100]
    parts = make_parts(tmp_path, contents)
    spec = spec_for(contents)
    models = tmp_path / "models"
    path = assemble(spec, models, parts=parts)
    path.write_bytes(b"GGUF" + b"y" * 100)  # tampered: size equal, mtime differs
    assert not verify_existing(spec, models)
    assert assemble(spec, models, parts=parts).read_bytes() == contents[0]


def test_wrong_expected_hash_is_rejected(tmp_path: Path) -> None:
    contents = [b"GGUF" + b"z" * 100]
    parts = make_parts(tmp_path, contents)
    wrong = ModelSpec("test", "test.gguf", "0" * 64, ("x",), "test-parts")
    with pytest.raises(ModelIntegrityError):
        assemble(wrong, tmp_path / "models", parts=parts)
    assert not (tmp_path / "models" / "test.gguf").exists()


def test_missing_part_package_names_the_fix() -> None:
    spec = ModelSpec("test", "t.gguf", "0" * 64, ("dragoman_no_such_part_pkg",), "'pkg==1'")
    with pytest.raises(ModelMissingError, match="pip install 'pkg==1'"):
        spec.part_paths()


def test_real_small_model_matches_the_published_hash(small_model: Path) -> None:
    spec = MODEL_SPECS["local-small"]
    assert small_model.name == spec.filename
    assert verify_existing(spec, small_model.parent)
    with small_model.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
