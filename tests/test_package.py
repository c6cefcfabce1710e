import subprocess
import sys

HEAVY = ("mediapipe", "cv2", "matplotlib", "pyarrow", "sqlalchemy", "fastapi", "pandas")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    return {name.split(".")[0] for name in out}


def test_import_synkinesis_stays_light():
    assert not _loaded_after("import synkinesis") & set(HEAVY + ("numpy",))


def test_core_modules_do_not_pull_heavy_libraries():
    statement = ("import synkinesis.regions, synkinesis.normalize, synkinesis.signals, "
                 "synkinesis.quality")
    assert not _loaded_after(statement) & set(HEAVY)


def test_version_and_help():
    out = subprocess.run([sys.executable, "-m", "synkinesis", "--version"], capture_output=True,
                         text=True)
    assert out.returncode == 0 and out.stdout.startswith("synkinesis ")
