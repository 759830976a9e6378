"""The fan-out benchmark's default workload: numpy FFTs that check themselves.

bench-python-fanout (docs/benchmarks.md) runs a workload module in every VM
in three phases, with its fork points between them: the interpreter starts
(nothing imported), the module's top-level code runs (its imports: here
numpy), then run(size) is timed. The paper timed numpy's FFT correctness
test (~2.5 s); this does the same kind of work without pytest, which the
guest image lacks. Write your own module to the same contract and pass it
with --workload FILE:

  DEFAULT_SIZE = N             the size used when the bench is given none
  run(size) -> dict(ok=bool, digest=str, detail=str)
      digest: a hex digest of the run's random input, so the host can check
      that every clone drew different numbers (its RNG is reseeded through
      the VM Generation ID); detail: why ok is False (one short line).
"""
import hashlib

import numpy as np

# Rounds; about 2.5 s natively (16-17 ms a round on the 2-core build host,
# loaded, Debian's numpy 1.24: docs/benchmarks.md). Every round does the same work.
DEFAULT_SIZE = 150

_LENGTHS = (4096, 65536, 3 * 5 * 7 * 11 * 13)  # powers of two and a composite
_DFT_LENGTH = 64


def _close(a, b, scale):
    # FFT round-off grows like log(n) * eps * |x|: 1e-9 relative is generous
    # for float64 and still catches any wrong transform.
    return np.allclose(a, b, rtol=0, atol=1e-9 * scale)


def _dft_matrix(n):
    k = np.arange(n)
    return np.exp(-2j * np.pi * np.outer(k, k) / n)


def run(size):
    rng = np.random.default_rng()  # seeded from the guest kernel's RNG, now
    digest = hashlib.sha256()
    dft = _dft_matrix(_DFT_LENGTH)
    for i in range(size):
        for n in _LENGTHS:
            x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
            digest.update(x.tobytes())
            scale = np.abs(x).max() * np.log2(n)
            y = np.fft.fft(x)
            if not _close(np.fft.ifft(y), x, scale):
                return dict(ok=False, digest=digest.hexdigest()[:16], detail=f"ifft(fft(x)) != x, n={n}, round {i}")
            # Parseval: the energy is the same on both sides.
            if not np.isclose(np.vdot(x, x).real, np.vdot(y, y).real / n, rtol=1e-9):
                return dict(ok=False, digest=digest.hexdigest()[:16], detail=f"Parseval fails, n={n}, round {i}")
            r = x.real
            if not _close(np.fft.irfft(np.fft.rfft(r), n), r, scale):
                return dict(ok=False, digest=digest.hexdigest()[:16], detail=f"irfft(rfft(x)) != x, n={n}, round {i}")
        # The transform itself, against the definition (a round trip alone
        # would pass a transform that is its own inverse's inverse).
        x = rng.standard_normal(_DFT_LENGTH) + 1j * rng.standard_normal(_DFT_LENGTH)
        digest.update(x.tobytes())
        if not _close(np.fft.fft(x), dft @ x, np.abs(x).sum()):
            return dict(ok=False, digest=digest.hexdigest()[:16], detail=f"fft(x) != DFT(x), round {i}")
        m = rng.standard_normal((128, 96))
        digest.update(m.tobytes())
        if not _close(np.fft.ifft2(np.fft.fft2(m)).real, m, np.abs(m).max() * 14):
            return dict(ok=False, digest=digest.hexdigest()[:16], detail=f"ifft2(fft2(m)) != m, round {i}")
    return dict(ok=True, digest=digest.hexdigest()[:16], detail="")


if __name__ == "__main__":
    import sys
    import time

    size = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    start = time.perf_counter()
    result = run(size)
    print(f"size={size} ms={(time.perf_counter() - start) * 1000:.1f} {result}")
