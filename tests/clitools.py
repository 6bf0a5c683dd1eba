"""Helpers shared by the command-line tests: run ``dancegen`` in-process, check a clean failure."""

from __future__ import annotations

from pathlib import Path


def run_cli(args: list, capfd) -> tuple[int, str, str]:
    """Run ``dancegen ARGS`` in this process; (exit code, stdout, stderr)."""
    from dancegen.cli import main

    code = main([str(a) for a in args])
    out, err = capfd.readouterr()
    return code, out, err


def assert_clean_failure(code: int, err: str, name: str, *outputs: Path) -> None:
    """Exit code 2, one stderr sentence containing ``name``, no traceback, no (partial) outputs."""
    assert code == 2
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert name in lines[0], lines[0]
    for out in outputs:
        assert not out.exists(), out
        leftovers = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.stem}.")] if out.parent.is_dir() else []
        assert not leftovers, leftovers


def write_demo_excerpt(path: Path, seconds: float = 3.0) -> Path:
    """A ``seconds``-long excerpt of the demo song (120 BPM), 22.05 kHz stereo WAV."""
    import soundfile as sf

    from dancegen.demo_song import synthesize_demo_song

    sf.write(path, synthesize_demo_song(seconds, sr=22050), 22050)
    return path
