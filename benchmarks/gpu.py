"""Generated gradients on a GPU, as a share of the device's copy bandwidth.

Least-squares, logistic and softmax gradients at n = 5·10⁶ rows, d = 100 features (K = 10 classes),
in float32 and float64, four ways, each called in turn within a round (median of the rounds):

* ``symgd array_api``: the ``backend="array_api"`` module on CuPy arrays;
* ``symgd jax``: the ``backend="jax"`` module (``jax.jit`` of the generated expressions);
* ``jax.jit(jax.grad)``: JAX differentiating the same loss;
* ``hand CuPy``: the gradient an expert writes in CuPy.

A gradient must read X at least once, so its floor is (bytes of X + bytes of y) / the copy
bandwidth; the bandwidth is measured in the same run by a device-to-device copy of 2 GiB (bytes
read + bytes written per second). "share" = (bytes of X and y / time) / copy bandwidth: 100 % is
one pass over the data at copy speed; code that reads X twice (X w, then Xᵀ r) is capped at 50 %.

Needs an NVIDIA GPU with CuPy and JAX (CUDA) installed; without one it says so and exits. ``--cpu``
runs the same logic on the CPU (NumPy in place of CuPy, JAX on the CPU) at a small n, to check the
script itself:

    python benchmarks/gpu.py                 # on a GPU machine, under 5 minutes
    python benchmarks/gpu.py --cpu --n 20000 # anywhere
"""

from __future__ import annotations

import argparse
import inspect
import platform
import statistics
import sys
import time

import symgd

LOSSES = {
    "least squares": r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2",
    "logistic": r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]",
    "softmax": r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}",
}


class Device:
    """The array library standing for the GPU (CuPy, or NumPy with --cpu) and how to wait for it."""

    def __init__(self, cpu: bool) -> None:
        if cpu:
            import numpy as xp
        else:
            import cupy as xp
        self.xp, self.cpu = xp, cpu

    def synchronize(self) -> None:
        if not self.cpu:
            self.xp.cuda.Device().synchronize()

    def name(self) -> str:
        if self.cpu:
            return f"CPU ({platform.machine()}), NumPy {self.xp.__version__} in place of CuPy"
        properties = self.xp.cuda.runtime.getDeviceProperties(self.xp.cuda.Device().id)
        return f"{properties['name'].decode()}, CuPy {self.xp.__version__}"


def gpu_available() -> str | None:
    """None when CuPy sees a GPU and JAX has a GPU device, else why not."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy sees no GPU"
    except Exception as error:   # noqa: BLE001 - ImportError, or CUDA missing at run time
        return f"CuPy is not usable ({type(error).__name__}: {error})"
    try:
        import jax
        if not jax.devices("gpu"):
            return "JAX has no GPU device"
    except Exception as error:   # noqa: BLE001
        return f"JAX has no GPU ({type(error).__name__}: {error})"
    return None


def median_seconds(function, wait, rounds: int) -> float:
    """Median wall time of ``function()`` (after one warm-up call), waiting for the device each time."""
    wait(function())
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        wait(function())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def copy_bandwidth(device: Device, nbytes: int, rounds: int) -> float:
    """Bytes per second of a device-to-device copy (read + write)."""
    xp = device.xp
    source = xp.ones(nbytes // 4, dtype=xp.float32)
    target = xp.empty_like(source)

    def copy():
        xp.copyto(target, source)
    seconds = median_seconds(copy, lambda _: device.synchronize(), rounds)
    return 2 * nbytes / seconds


def data(device: Device, n: int, d: int, classes: int, dtype):
    """X (n, d), y in {0, 1}, one-hot Y (n, K), generated on the device."""
    xp = device.xp
    rng = xp.random.default_rng(0)
    x = rng.standard_normal((n, d), dtype=dtype)
    truth = rng.standard_normal(d, dtype=dtype) / d**0.5
    y = (x @ truth > 0).astype(dtype)
    labels = rng.integers(0, classes, size=n)
    one_hot = xp.zeros((n, classes), dtype=dtype)
    one_hot[xp.arange(n), labels] = 1
    return x, y, one_hot


def hand_written(xp):
    """The gradients an expert writes directly in the array library (CuPy)."""
    def least_squares(w, x, y):
        return x.T @ ((x @ w - y) / x.shape[0])

    def logistic(w, y, x):
        return x.T @ (1 / (1 + xp.exp(-(x @ w))) - y)

    def softmax(W, Y, x):
        z = x @ W.T
        e = xp.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        return (p * Y.sum(axis=1, keepdims=True) - Y).T @ x
    return {"least squares": least_squares, "logistic": logistic, "softmax": softmax}


def jax_losses(jnp, jax):
    """The losses in JAX, for jax.jit(jax.grad)."""
    def least_squares(w, x, y):
        r = x @ w - y
        return r @ r / (2 * x.shape[0])

    def logistic(w, y, x):
        z = x @ w
        return -jnp.sum(y * jax.nn.log_sigmoid(z) + (1 - y) * jax.nn.log_sigmoid(-z))

    def softmax(W, Y, x):
        return -jnp.sum(Y * jax.nn.log_softmax(x @ W.T, axis=1))
    return {"least squares": least_squares, "logistic": logistic, "softmax": softmax}


def arguments(name: str, function, arrays: dict) -> list:
    """The arrays in the order of ``function``'s parameters (symgd names them as the formula does)."""
    return [arrays[p] for p in inspect.signature(function).parameters]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--cpu", action="store_true", help="NumPy and JAX on the CPU (checks the script)")
    args = parser.parse_args()
    if not args.cpu:
        reason = gpu_available()
        if reason is not None:
            print(f"benchmarks/gpu.py: no GPU here ({reason}); nothing measured. "
                  "Run it on a machine with an NVIDIA GPU, CuPy and JAX (CUDA), or use --cpu to check the script.")
            return 0
    import jax
    jax.config.update("jax_enable_x64", True)   # float64 where asked; float32 arrays stay float32
    import jax.numpy as jnp
    if args.cpu:
        jax.config.update("jax_platforms", "cpu")
    device = Device(args.cpu)
    xp = device.xp
    generated = {name: (symgd.codegen(text, backend="array_api").load(), symgd.codegen(text, backend="jax").load())
                 for name, text in LOSSES.items()}
    hand, losses = hand_written(xp), jax_losses(jnp, jax)
    jax_grads = {name: jax.jit(jax.grad(loss)) for name, loss in losses.items()}
    bandwidth = copy_bandwidth(device, min(2**31, 8 * args.n * args.d), args.rounds)

    def wait(result):
        jax.block_until_ready(result)
        device.synchronize()

    print(f"# {device.name()}, JAX {jax.__version__} on {jax.devices()[0].platform}; n = {args.n:,}, d = {args.d}, "
          f"K = {args.classes}; median of {args.rounds} rounds")
    print(f"# device-to-device copy: {bandwidth / 1e9:.0f} GB/s (read + write)")
    print(f"{'loss':<14} {'dtype':<8} {'implementation':<20} {'ms':>9} {'GB/s':>8} {'share':>7}")
    for dtype_name in ("float32", "float64"):
        dtype = getattr(xp, dtype_name)
        x, y, one_hot = data(device, args.n, args.d, args.classes, dtype)
        jx, jy, jone_hot = jnp.asarray(x), jnp.asarray(y), jnp.asarray(one_hot)   # a device copy for JAX
        moved = {"least squares": x.nbytes + y.nbytes, "logistic": x.nbytes + y.nbytes,
                 "softmax": x.nbytes + one_hot.nbytes}
        for name in LOSSES:
            on_device = {"X": x, "x": x, "y": y, "Y": one_hot, "w": xp.zeros(args.d, dtype=dtype) + 0.01,
                         "W": xp.zeros((args.classes, args.d), dtype=dtype) + 0.01}
            in_jax = {"X": jx, "x": jx, "y": jy, "Y": jone_hot, "w": jnp.asarray(on_device["w"]),
                      "W": jnp.asarray(on_device["W"])}
            array_module, jax_module = generated[name]
            runs = {
                "symgd array_api": (array_module.grad, on_device),
                "symgd jax": (jax_module.grad, in_jax),
                "jax.jit(jax.grad)": (jax_grads[name], in_jax),
                "hand CuPy" if not args.cpu else "hand NumPy": (hand[name], on_device),
            }
            for label, (function, arrays) in runs.items():
                call_args = arguments(name, function, arrays) if label != "jax.jit(jax.grad)" else \
                    arguments(name, losses[name], arrays)
                seconds = median_seconds(lambda: function(*call_args), wait, args.rounds)
                rate = moved[name] / seconds
                print(f"{name:<14} {dtype_name:<8} {label:<20} {seconds * 1e3:>9.2f} {rate / 1e9:>8.1f} "
                      f"{rate / bandwidth:>7.0%}", flush=True)
        del x, y, one_hot, jx, jy, jone_hot
    return 0


if __name__ == "__main__":
    sys.exit(main())
