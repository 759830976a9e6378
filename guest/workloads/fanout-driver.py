"""bench-python-fanout's driver in the guest: /run/job/driver.py AT SIZE.

Runs /run/job/workload.py (the workload module, fanout-fft.py unless the
user gave their own) in phases with the benchmark's fork points between them
(docs/benchmarks.md):

  interpreter   the interpreter has started and imported nothing else
  import        the workload's top-level code (its imports) has run
  template      as import, but the host makes this VM a template with warm
                spares: mark the point, then wait to wake up as a clone

At AT it asks the host to fork it (hf-signal fork; the fork after boot is the
job script's, before Python starts). Then it times run(SIZE) and prints the
one line the host parses:

  hf-fanout: result ok=1 id=K size=S bench_ms=T digest=D
  hf-fanout: result ok=0 id=K size=S error=WHY

id is what `hf-signal identity` says (0 in a booted VM, K in clone K).
SIZE 0 means the workload's DEFAULT_SIZE.
"""
import os
import sys
import time

MARK_TEMPLATE_POINT = 3  # hf-signal mark N: the host's cue to make a template


def result(ok, size, **fields):
    ident = os.popen("hf-signal identity").read().split()
    vm = ident[1] if len(ident) == 2 and ident[0] == "clone" else "0"
    text = " ".join(f"{k}={v}" for k, v in fields.items())
    # One write, flushed: the host reads whole lines from the console.
    print(f"hf-fanout: result ok={int(ok)} id={vm} size={size} {text}", flush=True)
    return 0 if ok else 1


def fail(size, why):
    return result(False, size, error="-".join(str(why).split())[:200])


def fork_point(at, point, size):
    """None when the run goes on, else the exit code after reporting."""
    if at != point:
        return None
    if point == "template":
        # The host pauses this VM as a template and builds clones of it; they
        # go on from here. A clone learns it within 0.1 s: hf-signal watch
        # reseeds its RNG, then renames it hyperfork-K.
        name = os.uname().nodename
        if os.system(f"hf-signal mark {MARK_TEMPLATE_POINT}") != 0:
            return fail(size, "hf-signal mark failed")
        deadline = time.monotonic() + 1800
        while os.uname().nodename == name:
            if time.monotonic() > deadline:
                return fail(size, "never became a clone of the template")
            time.sleep(0.01)
        return None
    status = os.system("hf-signal fork >/dev/null")
    return None if status == 0 else fail(size, f"hf-signal fork refused (status {status})")


def main():
    at, size = sys.argv[1], int(sys.argv[2])
    stop = fork_point(at, "interpreter", size)
    if stop is not None:
        return stop
    sys.path.insert(0, "/run/job")
    try:
        import workload
    except Exception as e:  # the user's module: report whatever it raises
        return fail(size, f"importing the workload: {type(e).__name__}: {e}")
    size = size or int(getattr(workload, "DEFAULT_SIZE", 1))
    for point in ("import", "template"):
        stop = fork_point(at, point, size)
        if stop is not None:
            return stop
    start = time.perf_counter()
    try:
        out = workload.run(size)
    except Exception as e:
        return fail(size, f"run({size}) raised {type(e).__name__}: {e}")
    ms = (time.perf_counter() - start) * 1000
    if not isinstance(out, dict) or "ok" not in out or "digest" not in out:
        return fail(size, "run() must return dict(ok=..., digest=..., detail=...)")
    digest = "".join(c for c in str(out["digest"]) if c.isalnum())[:64] or "none"
    if not out["ok"]:
        return fail(size, out.get("detail") or "the workload's check failed")
    return result(True, size, bench_ms=f"{ms:.3f}", digest=digest)


if __name__ == "__main__":
    sys.exit(main())
