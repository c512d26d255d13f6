"""The generated array-API module on a Dask LocalCluster: time per epoch and peak memory per worker.

ℓ2-regularised logistic regression, ``backend="array_api"``, on n rows of d features generated
chunk by chunk on the workers (``dask.array.random``): the data never exist in one process. Each
epoch is one ``fit`` iteration with a fixed step: one ``value_and_grad`` over all rows (a map over
the row chunks and a tree-reduce) and the parameter update, computed together.

Two ways to hold the data:

* ``stream``: nothing is kept; every epoch regenerates the chunks (data larger than the cluster's
  memory would be read from storage the same way). Memory per worker is bounded by a few chunks,
  whatever n is.
* ``persist``: the chunks are generated once and kept in the workers' memory (n·d·8 bytes split over
  the workers); an epoch only reads them.

Peak memory per worker is the peak resident set of each worker process (``ru_maxrss``), each size
on a fresh cluster. Asserts nothing; prints a table.

    pip install -e ".[test]" && python benchmarks/dask_scale.py [--n 1000000 10000000] [--d 20]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import resource
import time

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

import symgd

LOGISTIC_L2 = (r"L(w) = \sum_{i=1}^{n} \log(1 + \exp(-y_i w^\top x_i)) + \frac{\lambda}{2}\|w\|^2"
               r"\quad \text{where} \quad x_i \in \mathbb{R}^{d}, \quad y_i \in \mathbb{R}")


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def data(n: int, d: int, chunk: int, seed: int = 0):
    """Rows generated chunk-wise on the workers: x ~ N(0, 1), y = sign(x w* + noise)."""
    rng = da.random.default_rng(seed)
    x = rng.standard_normal((n, d), chunks=(chunk, d))
    truth = np.linspace(-1.0, 1.0, d)
    noise = rng.standard_normal(n, chunks=chunk)
    y = da.where(x @ truth + 0.5 * noise > 0, 1.0, -1.0)
    return x, y


def run(module, n: int, d: int, chunk: int, workers: int, epochs: int, mode: str) -> dict:
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit="8GiB",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        x, y = data(n, d, chunk)
        if mode == "persist":
            x, y = dask.persist(x, y)
            client.wait_for_workers(workers)
            dask.distributed.wait([x, y])
        module.fit(np.zeros(d), y, x, 1.0, lr=1e-7, max_iter=1)   # warm: imports, first graph
        start = time.perf_counter()
        w, history = module.fit(np.zeros(d), y, x, 1.0, lr=1e-7, max_iter=epochs)
        seconds = (time.perf_counter() - start) / epochs
        peaks = client.run(peak_rss_mib)
    return {"n": n, "mode": mode, "epoch_s": seconds, "peak_mib": max(peaks.values()),
            "peaks": sorted(peaks.values()), "loss": history[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=250_000, help="rows per chunk")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--modes", nargs="+", default=["stream", "persist"])
    args = parser.parse_args()
    module = symgd.codegen(LOGISTIC_L2, backend="array_api").load()
    print(f"# {datetime.date.today()}  {platform.machine()}, {platform.python_version()}, dask {dask.__version__}, "
          f"{args.workers} worker processes x 1 thread, d = {args.d}, {args.chunk} rows a chunk "
          f"({args.chunk * args.d * 8 / 2**20:.0f} MiB of x), mean over {args.epochs} epochs after a warm-up epoch")
    print(f"{'n':>12} {'mode':>8} {'s/epoch':>9} {'rows/s':>12} {'peak MiB/worker':>16} {'data MiB/worker':>16}")
    for mode in args.modes:
        for n in args.n:
            row = run(module, n, args.d, args.chunk, args.workers, args.epochs, mode)
            held = n * (args.d + 1) * 8 / 2**20 / args.workers if mode == "persist" else 0.0
            print(f"{n:>12,} {mode:>8} {row['epoch_s']:>9.2f} {n / row['epoch_s']:>12,.0f} "
                  f"{row['peak_mib']:>16.0f} {held:>16.0f}   (workers: {', '.join(f'{p:.0f}' for p in row['peaks'])})",
                  flush=True)


if __name__ == "__main__":
    main()
