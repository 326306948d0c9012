"""Mutation testing for keras_aug with mutmut: do the tests notice when the code is wrong?

mutmut (3.8) changes one small thing at a time in a function of `keras_aug/<area>`
(an operator, a constant, a keyword argument, a string, a removed call argument...)
and runs the tests that executed that function (it records, per function, which
tests reach it). Each mutant runs in a process forked from mutmut's fork server,
which has imported TensorFlow, Keras and pytest but never run a TensorFlow op (see
`_PRELOAD`), so TensorFlow's import is paid once per area, not once per mutant. A
mutant is *killed* when a test fails or it runs out of time, and *survives* when every
test passes.

This script runs mutmut in a throw-away copy of the repository (the working tree is
never modified), one area at a time, and prints the score per module and per area
and every surviving mutant as a diff. Before the first mutant, mutmut runs the area's
whole test selection (recording which tests reach which function), then the chosen
mutants' tests unmutated, so even a small sample costs about two runs of the area's
tests. A full run is many hours (over 20,000 mutants),
so by default it checks a fixed seeded sample of `--sample` mutants per area (the same
names for the same seed and source). Survivors judged equivalent (no behaviour can
tell them apart) are listed in `EQUIVALENT` with the reason, and reported apart.

Not part of CI. Usage, from the repository root:

    python tools/mutation.py --area core --sample 80 --seed 0      # see the README for times
    python tools/mutation.py --area layers --area data --out /tmp/mutation.json
    python tools/mutation.py --area core --sample 0                 # every mutant of the area
    python tools/mutation.py --area core --report /tmp/keras_aug_mutation_core_XXXX   # a kept run
    python tools/mutation.py --area core --resume /tmp/keras_aug_mutation_core_XXXX   # continue it

Checking one mutant by hand (a survivor, against a test written to kill it), without
mutmut's two passes: `--generate` writes a work folder with the area's mutants and
lists the sample with each mutant's changed lines; `--check` runs named mutants of a
work folder against the working tree's tests, only the test files given:

    python tools/mutation.py --area core --sample 80 --generate
    python tools/mutation.py --check /tmp/keras_aug_mutation_core_XXXX \
        --mutant keras_aug.core.warp.x__map_pair__mutmut_148 --tests tests/core/test_warp_edges.py
"""

import argparse
import ast
import collections
import difflib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AREAS = ("core", "layers", "data")
# The tests mutmut may select from, per area (it runs, per mutant, only those of them
# that reached the mutated function). Core code is exercised mostly through layers.
TESTS = {
    "core": ["tests/core", "tests/layers"],
    "layers": ["tests/layers"],
    "data": ["tests/data"],
}
# Exit-code meaning, as mutmut 3 records it in its .meta files.
KILLED = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout",
          -11: "crashed", -9: "crashed"}
STATUS = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked", -15: "hung"}
# mutant name -> why it cannot change behaviour (checked by hand; see the README).
EQUIVALENT = {
    "keras_aug.core.matrices.x_identity__mutmut_3":
        "tf.eye's default dtype is float32 (and matrices.identity is called nowhere in the library)",
    "keras_aug.core.randomness.x__keys__mutmut_46":
        "`_const(b)` applied to a uint32 tensor too: `b & 0xFFFFFFFF` is `b`, and converting a uint32 "
        "tensor to uint32 returns it unchanged (checked at e90d19d)",
    "keras_aug.core._tf_fast_path.x_next_index__mutmut_9":
        "tf.constant(1) without its dtype is int32, the dtype it named (checked at e90d19d)",
    "keras_aug.layers.geometric.rotation.xǁRandomRotate90ǁapply__mutmut_4":
        "apply's static square check: apply runs only after sample on the same batch (Augmentation.augment), "
        "and sample makes the same check first; with run-time sizes neither is an int and the graph check runs",
    "keras_aug.layers.geometric.sizing.xǁRandomCropǁ__init____mutmut_1":
        "mask_fill_value 256 for 255: RandomCrop never reads outside its input (crops lie inside it, smaller "
        "inputs are centre-cropped and resized), so the fill is never used; only get_config shows the default",
    "keras_aug.data.legacy.x__map_python__mutmut_27":
        "without fn_output_signature tf.map_fn assumes the input's dtype and shape, which `one` returns",
    "keras_aug.data.file_groups.xǁFileGroupLoaderǁ_stand_in__mutmut_17":
        "a file known to fail goes to _decode, which reports it without reading it and returns None: the "
        "same None, and reporting a path seen before records and warns nothing (with on_bad_file='raise' "
        "no stand-in is searched: the failing file raised first)",
    "keras_aug.data.decoding.xǁBadFileLogǁreport__mutmut_15":
        "warnings.warn with category None warns a UserWarning, the category it replaced",
    "keras_aug.data.graph_header.x_jpeg_orientation__mutmut_66":
        "reads 9 bytes of the TIFF header for 8: only bytes 0-7 are used (byte order, IFD offset), and "
        "`_bytes` pads past the file's end with zeros (checked at 49cdd20)",
    "keras_aug.data.routes.graph.x_elements__mutmut_6":
        "the graph route without `sentinel_safe`: the sentinel goes through a tf.cond and the resize through a "
        "second map after ignore_errors; a plain resize of a decoded image does not fail, so the elements and "
        "their order are the same, only the stage layout (speed) differs (checked at 49cdd20)",
    "keras_aug.data.routes.standins.x__report_gap__mutmut_31":
        "numpy_function(stateful=None) marks the report stateless; its result feeds each element's copy count "
        "and its input (the dropped positions) is known only at run time, so the op is neither pruned, folded "
        "nor merged: it runs once per gap, as when stateful (checked at 49cdd20)",
}

_GENERATE = """
import os
from mutmut.__main__ import (copy_also_copy_files, copy_src_dir, create_mutants, set_mutant_under_test,
                             setup_source_paths, store_lines_covered_by_tests)
set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
copy_src_dir(); copy_also_copy_files(); setup_source_paths(); store_lines_covered_by_tests()
create_mutants(1)
"""

# mutmut stops a worker after a wall time of half its CPU-time limit (the fork server's
# `register_timeout`), meant for an idle machine. On 2 cores shared with other jobs a
# worker gets a fifth of a core, and mutants that change an error message or skip a
# check timed out before their tests could finish. The CPU-time limit (RLIMIT_CPU)
# stops a mutant that loops, and `stop_hung_workers` one that waits forever; the wall
# limit, stretched by this factor, is only a backstop.
_WALL_TIMEOUT_FACTOR = 10
_RUN_MUTMUT = f"""
import sys
import mutmut.workers.isolation as isolation
_register_timeout = isolation.register_timeout
isolation.register_timeout = lambda pid, timeout_s: _register_timeout(pid, {_WALL_TIMEOUT_FACTOR} * timeout_s)
from mutmut.__main__ import cli
sys.argv[0] = "mutmut"
cli()
"""

# Keras builds a layer's config from `inspect.getfullargspec(cls.__init__)`, which does not
# follow `functools.wraps`: mutmut's trampolines (`*args, **kwargs`) broke every layer
# subclass. The generated modules import this shim instead, which keeps `__init__`'s signature.
_SHIM_NAME = "_mutmut_signature_shim"
_SHIM = """import inspect

from mutmut.mutation.trampoline import MutantDict  # noqa: F401
from mutmut.mutation.trampoline import wrap_in_trampoline


def keep_signature(mutants_dict, is_classmethod=False):
    wrap = wrap_in_trampoline(mutants_dict, is_classmethod)

    def decorate(func):
        wrapped = wrap(func)
        # Only constructors: on other methods a `__signature__` leaks, with `self`, into
        # wrappers of the bound method (Keras wraps `build`).
        if func.__name__ == "__init__":
            wrapped.__signature__ = inspect.signature(func)
        return wrapped

    return decorate
"""
_TRAMPOLINE_IMPORT = "from mutmut.mutation.trampoline import wrap_in_trampoline as _mutmut_mutated, MutantDict"


# Imported once by mutmut's fork server before it forks a worker per mutant. Only
# third-party modules, and only imported: importing TensorFlow starts no runtime
# threads, running an op starts its thread pools, and a process forked from one with
# those threads can deadlock. (mutmut's default "fork" mode forks from its main
# process, which has run the whole test selection; many workers hung there. Its
# default warm-up, `pytest --collect-only`, runs TensorFlow ops while importing some
# test modules.) keras_aug is left out: the worker imports the mutated copy itself.
_PRELOAD = ("numpy", "tensorflow", "keras", "pytest", "hypothesis", "PIL", "scipy", "pandas")
# Seconds added to each mutant's measured test time before mutmut's wall and CPU
# limits (multiplied by timeout_multiplier): a worker also imports its test modules
# and keras_aug and starts TensorFlow's runtime, which the measured time leaves out.
_TIMEOUT_CONSTANT = 30


def prepare(area, work):
    """Copies the package and tests to `work` and writes mutmut's configuration for `area`."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("keras_aug", "tests"):
        shutil.copytree(os.path.join(ROOT, name), os.path.join(work, name), ignore=ignore)
    shutil.copy(os.path.join(ROOT, "pyproject.toml"), work)
    tests = "\n    ".join(TESTS[area])
    with open(os.path.join(work, "setup.cfg"), "w") as f:
        f.write(
            "[mutmut]\n"
            "source_paths = keras_aug\n"  # the whole package is copied; only the area is mutated
            f"only_mutate = keras_aug/{area}/*\n"
            f"pytest_add_cli_args_test_selection =\n    {tests}\n"
            "pytest_add_cli_args =\n    -p\n    no:cacheprovider\n    -x\n"
            "timeout_multiplier = 3.0\n"  # mutmut's default 15x the tests' time holds a hung mutant too long
            f"timeout_constant = {_TIMEOUT_CONSTANT}\n"
            "process_isolation = forkserver\n"
            "forkserver_warmup = import\n"
            "preload_modules_file = preload_modules.txt\n"
        )
    with open(os.path.join(work, "preload_modules.txt"), "w") as f:
        f.write("\n".join(_PRELOAD) + "\n")


def meta_files(work, area):
    base = os.path.join(work, "mutants", "keras_aug", area)
    for folder, _, files in os.walk(base):
        for name in sorted(files):
            if name.endswith(".py.meta"):
                yield os.path.join(folder, name)


def keep_signatures(work, area):
    """Points the generated modules at the signature-keeping shim (see `_SHIM`)."""
    with open(os.path.join(work, "mutants", f"{_SHIM_NAME}.py"), "w") as f:
        f.write(_SHIM)
    for meta in meta_files(work, area):
        path = meta[: -len(".meta")]
        with open(path) as f:
            source = f.read()
        if _TRAMPOLINE_IMPORT not in source:
            raise SystemExit(f"mutmut's trampoline import changed; update _TRAMPOLINE_IMPORT ({path})")
        replaced = f"from {_SHIM_NAME} import keep_signature as _mutmut_mutated, MutantDict"
        stat = os.stat(path)
        with open(path, "w") as f:
            f.write(source.replace(_TRAMPOLINE_IMPORT, replaced))
        os.utime(path, (stat.st_atime, stat.st_mtime))  # mutmut tells stale mutants by mtime


def mutants(work, area):
    """{mutant name: (module path, exit code or None)} from mutmut's .meta files."""
    found = {}
    for path in meta_files(work, area):
        module = os.path.relpath(path[: -len(".meta")], os.path.join(work, "mutants"))
        with open(path) as f:
            for name, code in json.load(f)["exit_code_by_key"].items():
                found[name] = (module, code)
    return found


def outcome(name, code):
    if name in EQUIVALENT and code in (0, 5, 33):  # survived, or reached by no test
        return "equivalent"
    return KILLED.get(code) or STATUS.get(code, f"exit {code}")


def diff(work, name):
    """The changed lines of one mutant (`mutmut show`, without the file headers)."""
    shown = subprocess.run(["mutmut", "show", name], cwd=work, capture_output=True, text=True).stdout
    return [line for line in shown.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def sampled(work, area, sample, seed):
    """The mutant names of the run: all, or a fixed seeded sample of `sample`."""
    names = sorted(mutants(work, area))
    if not sample or sample >= len(names):
        return names, len(names)
    return sorted(random.Random(f"{seed}:{area}").sample(names, sample)), len(names)


def run_area(area, sample, seed, max_children, hang_seconds, work, log, resume=False):
    """Runs the chosen mutants of `area` in `work`; with `resume`, in a kept work folder,
    only those without a verdict from their tests (not checked, hung, timed out)."""
    if not resume:
        generate(area, work, log)
    chosen, total = sampled(work, area, sample, seed)
    pending = chosen
    if resume:
        found = mutants(work, area)
        pending = [name for name in chosen if outcome(name, found[name][1]) not in ("killed", "survived", "no tests")]
    print(f"{area}: {len(chosen)} of {total} mutants, running {len(pending)}", flush=True)
    if pending:
        # Argument lists stay far below the OS limit: names are ~60 characters.
        run = subprocess.Popen([sys.executable, "-c", _RUN_MUTMUT, "run", "--max-children", str(max_children),
                                *pending], cwd=work, stdout=log, stderr=log)
        progress = {}
        while run.poll() is None:
            stop_hung_workers(run.pid, progress, hang_seconds)
            time.sleep(15)
    return results(area, work, chosen)


def generate(area, work, log):
    """Copies the repository to `work` and writes the area's mutants there (no test runs)."""
    prepare(area, work)
    subprocess.run([sys.executable, "-c", _GENERATE], cwd=work, check=True, stdout=log, stderr=log)
    keep_signatures(work, area)


def changed_lines(work, name):
    """The lines mutant `name` changes, read from the generated module (faster than `mutmut show`)."""
    module, function = name.rsplit(".", 1)
    base = function.rsplit("__mutmut_", 1)[0]
    path = os.path.join(work, "mutants", *module.split("."))
    # A package's own functions live in its __init__.py.
    with open(path + ".py" if os.path.exists(path + ".py") else os.path.join(path, "__init__.py")) as f:
        source = f.read()
    lines = source.splitlines()
    bodies = {node.name: lines[node.lineno - 1:node.end_lineno] for node in ast.walk(ast.parse(source))
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    # The def lines differ by name only, unless a default argument was mutated.
    orig = bodies[base + "__mutmut_orig"]
    original = [orig[0].replace(base + "__mutmut_orig", base)] + orig[1:]
    mutated = [bodies[function][0].replace(function, base)] + bodies[function][1:]
    return [line for line in difflib.unified_diff(original, mutated, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def check(work, names, tests, timeout_s=900):
    """Runs each mutant in `names` (of the work folder `work`) against the test files `tests`,
    copied from the working tree (pytest's output goes to `work`/check_<name>.log).

    Returns {name: "killed" | "survived" | "timeout" | "exit N"} (N: pytest's exit code,
    e.g. 2 when the mutant broke the test modules' import).

    Like mutmut's fork server: the heavy modules are imported once here, and each
    mutant runs `pytest -x` in a forked child that selects it with MUTANT_UNDER_TEST.
    """
    mutants_dir = os.path.join(work, "mutants")
    shutil.copytree(os.path.join(ROOT, "tests"), os.path.join(mutants_dir, "tests"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    for module in _PRELOAD:
        __import__(module)
    import pytest

    verdicts = {}
    for name in names:
        start = time.time()
        pid = os.fork()
        if pid == 0:  # the child: run the tests on the mutated copy
            os.chdir(mutants_dir)
            sys.path.insert(0, mutants_dir)
            os.environ["MUTANT_UNDER_TEST"] = name
            log = os.open(os.path.join(work, f"check_{name}.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os._exit(int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests])))
        code = None
        while code is None:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
            elif time.time() - start > timeout_s:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                code = "timeout"
            else:
                time.sleep(0.5)
        verdicts[name] = code if code == "timeout" else {0: "survived", 1: "killed"}.get(code, f"exit {code}")
        print(f"{name}: {verdicts[name]} ({time.time() - start:.0f} s; pytest's output: check_{name}.log)",
              flush=True)
    return verdicts


def _processes():
    """{pid: (parent pid, CPU seconds used by it and its waited-for children, command line)}."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # after "pid (command name)"
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read()
        except OSError:  # exited meanwhile
            continue
        ticks = sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
        found[int(pid)] = (int(fields[1]), ticks / os.sysconf("SC_CLK_TCK"), command)
    return found


def _subtree_cpu(pid, processes):
    """CPU seconds of `pid` and all its live descendants (a test may wait on a subprocess)."""
    return processes[pid][1] + sum(_subtree_cpu(child, processes)
                                   for child, (parent, _, _) in processes.items() if parent == pid)


def stop_hung_workers(mutmut_pid, progress, hang_seconds):
    """SIGTERMs mutant workers that used no CPU time for `hang_seconds` of wall time.

    The workers are the grandchildren of `mutmut run` forked from it (children of its
    fork server, with its command line; a subprocess a test starts has its own).
    mutmut stops a slow worker itself (wall and CPU limits) and counts it killed by a
    timeout; a worker deadlocked without using CPU is not slow but stuck, and would be
    counted killed too. Those are stopped here first, reported as "hung" and left out
    of the score. `progress` ({pid: (CPU seconds, when they last grew)}) carries over
    between calls.
    """
    processes = _processes()
    if mutmut_pid not in processes:
        return
    command = processes[mutmut_pid][2]
    servers = {pid for pid, (parent, _, _) in processes.items() if parent == mutmut_pid}
    now = time.time()
    for pid, (parent, _, own_command) in processes.items():
        if parent not in servers or own_command != command:
            continue
        cpu = _subtree_cpu(pid, processes)
        last_cpu, since = progress.get(pid, (None, now))
        if cpu != last_cpu:
            progress[pid] = (cpu, now)
        elif now - since > hang_seconds:
            os.kill(pid, signal.SIGTERM)


def results(area, work, chosen):
    """One row per chosen mutant, from mutmut's .meta files in `work`."""
    found = mutants(work, area)
    rows = []
    for name in chosen:
        module, code = found[name]
        status = outcome(name, code)
        rows.append(dict(area=area, module=module, name=name, status=status, reason=EQUIVALENT.get(name),
                         diff=diff(work, name) if status in ("survived", "equivalent", "no tests") else []))
    return rows


def report(rows):
    """Prints the score per module and per area, then each survivor with its diff."""
    def score(subset):
        killed = sum(r["status"] in ("killed", "timeout", "crashed") for r in subset)
        counted = sum(r["status"] in ("killed", "timeout", "crashed", "survived", "no tests") for r in subset)
        return killed, counted

    print("\nscore = killed / (killed + survived + no tests); equivalent and hung mutants are left out")
    for area in dict.fromkeys(r["area"] for r in rows):
        subset = [r for r in rows if r["area"] == area]
        for module in sorted({r["module"] for r in subset}):
            k, c = score([r for r in subset if r["module"] == module])
            print(f"  {module:45s} {k:3d} / {c:<3d}")
        k, c = score(subset)
        kinds = collections.Counter(r["status"] for r in subset)
        print(f"{area}: {k} / {c} killed = {100.0 * k / max(c, 1):.1f}%   {dict(kinds)}")
    for kind in ("survived", "no tests", "equivalent", "hung", "not checked"):
        for r in (r for r in rows if r["status"] == kind):
            print(f"\n{kind}: {r['name']}" + (f"  ({r['reason']})" if r["reason"] else ""))
            for line in r["diff"]:
                print(f"    {line.strip()[:110]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--area", action="append", choices=AREAS, help="area(s) to mutate (default: all three)")
    parser.add_argument("--sample", type=int, default=80, help="seeded sample of N mutants per area; 0: all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-children", type=int, default=2, help="mutants run at once")
    parser.add_argument("--hang-minutes", type=float, default=3.0,
                        help="stop a mutant worker that used no CPU time for this long and report it as hung")
    parser.add_argument("--out", help="also write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (mutmut browse works there)")
    parser.add_argument("--report", metavar="WORK_FOLDER",
                        help="only report what a kept (or interrupted) run of one --area has checked so far")
    parser.add_argument("--resume", metavar="WORK_FOLDER",
                        help="continue a kept (or interrupted) run of one --area: rerun its mutants without a "
                             "verdict from their tests (not checked, hung, timed out); the folder is kept")
    parser.add_argument("--generate", action="store_true",
                        help="only write a work folder with the mutants of one --area and list the sample with "
                             "each mutant's changed lines (for --check)")
    parser.add_argument("--check", metavar="WORK_FOLDER",
                        help="run the --mutant(s) of this work folder against the --tests files of the working tree")
    parser.add_argument("--mutant", action="append", default=[], help="with --check: a mutant name")
    parser.add_argument("--tests", nargs="+", default=[], help="with --check: the test files (or node ids) to run")
    args = parser.parse_args(argv)
    rows = []
    if args.check:
        if not args.mutant or not args.tests:
            parser.error("--check needs --mutant NAME and --tests FILE...")
        verdicts = check(args.check, args.mutant, args.tests)
        return 0 if all(v == "killed" for v in verdicts.values()) else 1
    if args.generate:
        if not args.area or len(args.area) != 1:
            parser.error("--generate needs exactly one --area")
        (area,) = args.area
        work = tempfile.mkdtemp(prefix=f"keras_aug_mutation_{area}_")
        with open(os.path.join(work, "mutmut.log"), "a") as log:
            generate(area, work, log)
        chosen, total = sampled(work, area, args.sample, args.seed)
        print(f"{area}: {len(chosen)} of {total} mutants, in {work}")
        for name in chosen:
            print(f"\n{name}")
            for line in changed_lines(work, name):
                print(f"    {line.strip()[:110]}")
        return 0
    if args.report or args.resume:
        if not args.area or len(args.area) != 1:
            parser.error("--report and --resume need exactly one --area (the area of the kept run)")
    if args.report:
        (area,) = args.area
        chosen, _ = sampled(args.report, area, args.sample, args.seed)
        report(results(area, args.report, chosen))
        return 0
    for area in args.area or AREAS:
        work = args.resume or tempfile.mkdtemp(prefix=f"keras_aug_mutation_{area}_")
        try:
            with open(os.path.join(work, "mutmut.log"), "a") as log:
                rows += run_area(area, args.sample, args.seed, args.max_children, 60 * args.hang_minutes, work, log,
                                 resume=bool(args.resume))
        finally:
            if args.keep or args.resume:
                print(f"work folder kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
