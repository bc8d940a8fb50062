"""Mutation testing of the core, one module (group) at a time, with mutmut.

Run (from the repository root; ``bench/mutation.sh`` is the same under ``nice -n 10``):

    bench/mutation.sh planning            # app/planning/fca.py + coverage.py
    bench/mutation.sh hours index mapping # several targets, one after the other
    bench/mutation.sh --list              # the targets, their modules and test files

Each target copies the working tree (``app/``, ``tests/``, ``data/``, ``pyproject.toml`` with a
``[tool.mutmut]`` section for that target) to ``$DOLBOM_MUTATION_DIR/<target>`` (default
``$TMPDIR/dolbom-mutation``), so a run neither writes into the checkout nor sees edits made
while it runs, and runs ``mutmut run`` there with only the target's test files. mutmut maps
each mutated function to the tests that call it and runs only those per mutant.

It prints, per target: killed / total, the score, and every surviving mutant (``mutmut show``
diff). Mutants listed in ``bench/mutation_equivalents.toml`` (matched by module, function and
the changed lines, so they survive unrelated edits) are equivalent: they change no behaviour,
are counted apart and excluded from the score, each with its reason. "no tests" and
"timeout" count as survivors and kills respectively, as mutmut counts them.

Options: ``--resume`` reuses the previous copy and mutmut's cached results (only changed
functions are re-tested); ``--sample N`` tests about one mutant in N, those whose number ends in
chosen digits (a deterministic spread over every function; the figures then count the sample
only); ``--report`` prints the previous run's figures again; ``--jobs N`` (default 2) mutants
tested in parallel; ``--fail-under P`` exits 1 when a target scores below P %.

Times on 2 shared cores: planning about 15 min, hours about 20 min, mapping and index (with the
property tests run for each mutant) longer: use ``--sample 5`` for index while iterating.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "bench" / "mutation_equivalents.toml"

# target -> (modules to mutate, test files that pin them down)
TARGETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "planning": (
        ("app/planning/fca.py", "app/planning/coverage.py"),
        ("tests/planning/test_measures.py", "tests/planning/test_fca_boundaries.py"),
    ),
    "hours": (
        ("app/search/hours.py",),
        ("tests/test_hours.py", "tests/test_hours_boundaries.py", "tests/test_registry_locale.py",
         "tests/test_timezones.py", "tests/test_search_core.py", "tests/test_search_oracle.py"),
    ),
    "index": (
        ("app/search/index.py",),
        ("tests/test_search_core.py", "tests/test_search_oracle.py",
         "tests/test_search_features.py", "tests/test_search_index_mutants.py"),
    ),
    "mapping": (
        ("app/ingest/mapping.py",),
        ("tests/test_import.py", "tests/test_import_text.py", "tests/test_import_crs.py",
         "tests/test_registry_locale.py", "tests/test_mapping_sections.py",
         "tests/test_mapping_mutants.py"),
    ),
}

# A pytest plugin loaded in mutation runs. mutmut runs pytest several times in one process and
# forks it for each mutant, which Hypothesis's database and its differing-executors check do
# not expect; the same examples for every mutant (derandomize) make the figures repeatable. A
# failing example is not shrunk (no shrink or explain phase): the first failure kills the mutant,
# and shrinking it took minutes per killed mutant. The mutated modules' functools caches are
# emptied before each test: a forked mutant inherits the clean run's caches, so a mutant inside
# a cached function (hours parsing) would never run.
PYTEST_PLUGIN = '''"""Settings for mutation runs (written by bench/mutation.py)."""
import sys

import pytest
from hypothesis import HealthCheck, Phase, settings

MUTATED = {modules!r}

settings.register_profile(
    "mutation", database=None, derandomize=True, deadline=None, print_blob=False,
    suppress_health_check=[HealthCheck.differing_executors, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
settings.load_profile("mutation")


@pytest.fixture(autouse=True)
def _empty_mutated_caches():
    for name in MUTATED:
        for value in list(vars(sys.modules.get(name, object)).values()):
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
    yield
'''

# --sample N: the mutants whose number ends in these digits (spread over every function).
SAMPLES = {2: "13579", 5: "16", 10: "1"}

STATUS_LINE = re.compile(r"^\s*(\S+): (.+)$")


def mutation_config(modules: tuple[str, ...], tests: tuple[str, ...]) -> str:
    """The ``[tool.mutmut]`` section for one target (TOML text)."""
    q = ", ".join
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["app"]\n'
        f"only_mutate = [{q(json.dumps(m) for m in modules)}]\n"
        f"pytest_add_cli_args_test_selection = [{q(json.dumps(t) for t in tests)}]\n"
        # The plugins of the checkout's pytest run are not needed; stay quiet and fast.
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "mutation_plugin", "-q"]\n'
        'also_copy = ["data", "mutation_plugin.py"]\n'
        "use_git_change_detection = false\n"
    )


def prepare(workdir: Path, modules: tuple[str, ...], tests: tuple[str, ...]) -> None:
    """Copy the tree to ``workdir`` and write its pyproject.toml with the target's section."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "artifacts", ".hypothesis")
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("app", "tests", "data"):
        shutil.copytree(ROOT / name, workdir / name, ignore=ignore, dirs_exist_ok=True)
    dotted = [m.removesuffix(".py").replace("/", ".") for m in modules]
    (workdir / "mutation_plugin.py").write_text(PYTEST_PLUGIN.replace("{modules!r}", repr(dotted)),
                                                    encoding="utf-8")
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (workdir / "pyproject.toml").write_text(text + mutation_config(modules, tests), encoding="utf-8")


def mutmut(workdir: Path, *args: str, capture: bool = True) -> str:
    """Run the venv's mutmut in ``workdir``; its stdout when captured."""
    exe = Path(sys.executable).with_name("mutmut")
    proc = subprocess.run([str(exe), *args], cwd=workdir, text=True,
                          capture_output=capture, check=False)
    if proc.returncode not in (0, None):
        sys.stderr.write((proc.stdout or "") + (proc.stderr or ""))
        raise SystemExit(f"mutmut {' '.join(args)} failed with exit code {proc.returncode}")
    return proc.stdout or ""


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
print(json.dumps({n: get_diff_for_mutant(n) for n in json.load(sys.stdin)}))
"""


def diffs_of(workdir: Path, names: list[str]) -> dict[str, str]:
    """``mutmut show``'s diff of each mutant, in one process (``mutmut show`` takes seconds
    per mutant); falls back to ``mutmut show`` when mutmut's internals have moved."""
    proc = subprocess.run([sys.executable, "-c", _DIFFS], cwd=workdir, input=json.dumps(names),
                          text=True, capture_output=True, check=False)
    if proc.returncode == 0:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    return {n: mutmut(workdir, "show", n) for n in names}


def changed_lines(diff: str) -> list[str]:
    """The removed and added lines of a unified diff, stripped, headers left out."""
    return [ln[0] + ln[1:].strip() for ln in diff.splitlines()
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def function_of(mutant: str) -> str:
    """``app.search.hours.x_parse_interval__mutmut_3`` -> ``parse_interval``;
    methods (``xǁWeeklyHoursǁis_open_for__mutmut_2``) -> ``WeeklyHours.is_open_for``."""
    name = mutant.rsplit(".", 1)[-1].rsplit("__mutmut_", 1)[0]
    if name.startswith("xǁ"):
        return ".".join(p for p in name[2:].split("ǁ") if p)
    return name[2:] if name.startswith("x_") else name


def load_equivalents() -> list[dict]:
    """Entries of ``bench/mutation_equivalents.toml``."""
    if not EQUIVALENTS.exists():
        return []
    return tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")).get("equivalent", [])


def report(target: str, workdir: Path, modules: tuple[str, ...]) -> float:
    """Print the target's figures and survivors; return the score in % (equivalents excluded)."""
    statuses: dict[str, str] = {}
    for line in mutmut(workdir, "results", "--all", "true").splitlines():
        m = STATUS_LINE.match(line)
        if m and "__mutmut_" in m.group(1) and m.group(2).strip() != "not checked":
            statuses[m.group(1)] = m.group(2).strip()
    equivalents = load_equivalents()
    used: set[int] = set()
    killed = sum(1 for s in statuses.values() if s in ("killed", "timeout", "caught by type check"))
    survivors, equivalent = [], []
    open_names = sorted(n for n, s in statuses.items()
                        if s not in ("killed", "timeout", "caught by type check"))
    diffs = diffs_of(workdir, open_names)
    for name in open_names:
        status, diff = statuses[name], diffs[name]
        lines = changed_lines(diff)
        module = name.split(".x", 1)[0].replace(".", "/") + ".py"
        match = next((k for k, e in enumerate(equivalents)
                      if e["module"] == module and e["function"] == function_of(name)
                      and [ln[0] + ln[1:].strip() for ln in e["diff"]] == lines), None)
        if match is not None:
            used.add(match)
            equivalent.append((name, equivalents[match]["reason"]))
        else:
            survivors.append((name, status, diff))
    total = len(statuses)
    counted = total - len(equivalent)
    score = 100.0 * killed / counted if counted else 100.0
    print(f"\n=== {target}: {', '.join(modules)}")
    for name, status, diff in survivors:
        print(f"\n--- {status}: {name}\n{diff}")
    for name, reason in equivalent:
        print(f"equivalent: {name}: {reason}")
    print(f"\n{target}: killed {killed} / {counted} = {score:.1f} % "
          f"({total} mutants, {len(equivalent)} equivalent excluded, {len(survivors)} surviving)")
    return score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help=f"any of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--resume", action="store_true", help="reuse the previous copy and results")
    parser.add_argument("--report", action="store_true",
                        help="only print the figures and survivors of the previous run")
    parser.add_argument("--sample", type=int, choices=sorted(SAMPLES), default=None,
                        help="test about 1 in N mutants (those whose number ends in given digits)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested in parallel (default 2)")
    parser.add_argument("--tests", nargs="+", metavar="FILE", default=None,
                        help="test files to use instead of the target's (e.g. to measure before "
                             "new tests); one target only")
    parser.add_argument("--fail-under", type=float, default=None, metavar="PERCENT")
    args = parser.parse_args(argv)
    if args.list:
        for name, (modules, tests) in TARGETS.items():
            print(f"{name}: mutates {' '.join(modules)}\n    with {' '.join(tests)}")
        return 0
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {unknown}; allowed: {', '.join(TARGETS)}")
    if args.tests and len(args.targets) != 1:
        parser.error("--tests needs exactly one target")
    base = Path(os.environ.get("DOLBOM_MUTATION_DIR")
                or Path(tempfile.gettempdir()) / "dolbom-mutation")
    failed = False
    for target in args.targets or list(TARGETS):
        modules, tests = TARGETS[target]
        if args.tests:
            tests = tuple(args.tests)
        missing = [t for t in tests if not (ROOT / t).exists()]
        tests = tuple(t for t in tests if t not in missing)
        workdir = base / target
        if args.report:
            score = report(target, workdir, modules)
            failed |= args.fail_under is not None and score < args.fail_under
            continue
        if not args.resume and workdir.exists():
            shutil.rmtree(workdir)
        prepare(workdir, modules, tests)
        started = time.monotonic()
        print(f"mutmut on {', '.join(modules)} with {len(tests)} test file(s) in {workdir}"
              + (f" (absent: {', '.join(missing)})" if missing else ""), flush=True)
        names = [f"{m.removesuffix('.py').replace('/', '.')}.*__mutmut_*{digit}"
                 for m in modules for digit in SAMPLES[args.sample]] if args.sample else []
        mutmut(workdir, "run", "--max-children", str(args.jobs), *names, capture=False)
        print(f"{target}: mutmut took {time.monotonic() - started:.0f} s")
        score = report(target, workdir, modules)
        failed |= args.fail_under is not None and score < args.fail_under
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
