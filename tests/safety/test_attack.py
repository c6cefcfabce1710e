"""Issue 16's whole list replayed against a real `synk serve` and the real commands
(scripts/attack.py): every item must hold."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_attack_of_issue_16_holds(media):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed: apt-get install ffmpeg")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "attack.py"),
                             "--media", str(media)], capture_output=True, text=True,
                            timeout=900, env={**os.environ, "SYNK_MEDIA_DIR": str(media)})
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "0 broke" in result.stdout and "BROKE" not in result.stdout
