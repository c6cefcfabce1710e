import resource
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


RECORD_STACK = {"sqlalchemy", "alembic", "fhir"}
WEB_STACK = {"fastapi", "starlette", "uvicorn", "jinja2", "multipart"}


def test_each_layer_loads_only_its_own_stack():
    # the core's measure and analysis steps need neither the record nor the web app (they are
    # optional extras); the record does not load the web app
    measuring = _loaded_after("import synkinesis.measure, synkinesis.analysis, synkinesis.cli")
    assert not measuring & (RECORD_STACK | WEB_STACK)
    assert not _loaded_after("import synkinesis.store") & WEB_STACK


def test_the_measure_step_loads_no_record_web_or_plotting_stack():
    # measuring needs the landmark model and arrays; plots, the record and the web app are
    # later layers (matplotlib alone costs about a second of start-up)
    loaded = _loaded_after("import synkinesis.measure")
    assert not loaded & (RECORD_STACK | WEB_STACK | {"matplotlib", "mediapipe", "cv2", "pandas",
                                                     "pyarrow"})
    assert "numpy" in loaded  # the check runs on a real import (not an empty module list)


def test_missing_extra_names_what_to_install():
    # a command of the record run where its stack cannot be imported: one line, exit 2
    code = ("import sys; sys.modules['sqlalchemy'] = None; sys.argv = ['synk', 'patient', "
            "'list']; from synkinesis.cli import main; main()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2, out.stderr
    assert "pip install 'synkinesis[record]'" in out.stderr
    assert "Traceback" not in out.stderr


def test_help_loads_no_heavy_library():
    # `synk --help` (and every command's --help) answers at once: it imports no landmark,
    # array, table, database, web or report stack. Checked by what it loads, not by a clock.
    code = ("import io, sys, contextlib; sys.argv = ['synk', '--help']\n"
            "from synkinesis.cli import app\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        app()\n    except SystemExit:\n        pass\n"
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    loaded = {name.split(".")[0] for name in out}
    assert not loaded & (set(HEAVY) | RECORD_STACK | WEB_STACK | {"numpy", "scipy", "PIL"})


def test_every_commands_help_loads_no_heavy_library():
    # each command's --help, all in one process: the modules any of them loaded
    code = ("import io, sys, contextlib\n"
            "import typer.main\n"
            "from synkinesis.cli import app\n"
            "def walk(command, path):\n"
            "    children = getattr(command, 'commands', None)\n"
            "    if not children:\n"
            "        yield path\n"
            "        return\n"
            "    for name, child in children.items():\n"
            "        yield from walk(child, path + [name])\n"
            "paths = list(walk(typer.main.get_command(app), []))\n"
            "for path in paths:\n"
            "    sys.argv = ['synk', *path, '--help']\n"
            "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "        try:\n            app()\n        except SystemExit:\n            pass\n"
            "    assert 'Usage' in out.getvalue(), path\n"
            "print(len(paths), ' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert int(out[0]) >= 30  # every command was asked (43 today)
    loaded = {name.split(".")[0] for name in out[1:]}
    assert not loaded & (set(HEAVY) | RECORD_STACK | WEB_STACK | {"numpy", "scipy", "PIL"})


def test_help_answers_within_a_second_of_cpu():
    # `synk --help` under 1 s. Measured as the child's CPU time (user + system): the wall clock
    # of a CI machine shared with other jobs measures the neighbours (today about 0.25 s of CPU;
    # importing numpy and matplotlib alone would add about 1 s)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "synkinesis", "--help"], capture_output=True,
                   check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert 0 < cpu_s < 1.0, f"synk --help took {cpu_s:.2f} s of CPU"
