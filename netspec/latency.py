"""Stage 5b, estimate: a per-layer roofline latency on a device profile (run only with --device).

Each layer runs as one or more kernels. A kernel's time is

    max(FLOPs / (peak x compute efficiency), bytes / (bandwidth x memory efficiency)) + overhead

with the peak of the spec's dtype, FLOPs and compulsory bytes (every input, weight and output
touched once, at the spec's dtype) from the cost stage, and efficiencies per op family (conv,
depthwise, dense, element-wise, pool, maxpool, attention). The larger of the two terms says whether the
kernel is compute- or memory-bound; a layer is labelled by its longest kernel.

What is a kernel depends on the profile's `execution`: `fused` (TensorRT, TFLite, ...) runs a
layer's fused batch norm and activation inside the layer and views (flatten, dropout, identity)
for free; `eager` (PyTorch eager) runs each of them as a kernel of its own, which reads and writes
the feature map again and pays the overhead again. A separable layer is two kernels either way.

This is a bound with calibrated efficiencies, not a measurement: caches, tiling, data layout and
scheduling are outside it. `bench/latency.py` measures how far it is from real timings.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ops import REGISTRY, numel

COMPUTE, MEMORY = "compute", "memory"

@dataclass(slots=True)
class LayerTime:
    """One layer's estimate, in seconds; `time` = the sum over its kernels of max(compute, memory) + overhead."""

    time: float
    compute: float
    memory: float
    overhead: float
    bound: str | None  # "compute" or "memory"; None for a layer that runs no kernel (a view)
    kernels: int

    def as_dict(self) -> dict:
        return {"latency": self.time, "bound": self.bound, "compute_time": self.compute,
                "memory_time": self.memory, "overhead_time": self.overhead, "kernels": self.kernels}


@dataclass(slots=True)
class Estimate:
    """A network's estimate on one device: per-layer times (parallel to graph.layers) and totals."""

    device: object  # netspec.device.Device
    dtype: str
    batch: int
    layers: list[LayerTime]
    latency: float
    compute: float
    memory: float
    overhead: float
    memory_bound_time: float

    @property
    def throughput(self) -> float:
        """Samples per second at the spec's batch."""
        return self.batch / self.latency if self.latency else 0.0

    @property
    def memory_bound_share(self) -> float:
        return self.memory_bound_time / self.latency if self.latency else 0.0

    def totals_dict(self) -> dict:
        return {"latency": self.latency, "throughput": self.throughput,
                "memory_bound_share": self.memory_bound_share, "compute_time": self.compute,
                "memory_time": self.memory, "overhead_time": self.overhead}

    def device_dict(self) -> dict:
        d = self.device
        return {"name": d.name, "title": d.title, "kind": d.kind, "path": d.path, "execution": d.execution,
                "dtype": self.dtype, "peak_flops": d.peak[self.dtype], "bandwidth": d.bandwidth,
                "on_chip": d.on_chip, "on_chip_bandwidth": d.on_chip_bandwidth, "overhead": d.overhead,
                "compute_efficiency": dict(d.compute_efficiency), "memory_efficiency": dict(d.memory_efficiency)}


def family(layer, label: str, maccs: int) -> str:
    """The op family whose efficiency a part runs at, as its op declares it (`Op.family`,
    `Op.part_family`); undeclared, `dense` for a part with MACCs (a matrix product), else
    `elementwise`. A grouped conv with one input channel per group (MACCs = K x K per output
    element) is a depthwise convolution, whatever it is called."""
    op = REGISTRY[layer.type]
    fam = op.part_family.get(label) or op.family
    if fam == "conv" and label == "conv" and layer.attrs.get("groups", 1) > 1:
        kh, kw = layer.attrs["kernel"]
        if maccs == kh * kw * numel(layer.output):
            fam = "depthwise"
    if fam is None:
        fam = "dense" if maccs else "elementwise"
    return fam


def kernels(layer, eager: bool, batch: int, nbytes: int) -> list[tuple[list[tuple[str, int]], int, str]]:
    """The kernels a layer runs (`eager`: every fused op and view on its own): (FLOPs by family,
    compulsory bytes, the main family) each."""
    if REGISTRY[layer.type].is_view:
        return [([], 0, "elementwise")] if eager else []
    out: list = []
    n_op = len(layer.op_parts)
    for k, (label, c) in enumerate(layer.parts):
        if k < n_op:  # the op's own part(s): a kernel each
            fam = family(layer, label, c.maccs)
            out.append(([(fam, c.flops * batch)], (c.act_io * batch + c.params) * nbytes, fam))
        elif eager:  # a fused batchnorm/activation run on its own: reads and writes the output again
            out.append(([("elementwise", c.flops * batch)], (2 * numel(layer.output) * batch + c.params) * nbytes,
                        "elementwise"))
        else:  # applied as the output is written: its FLOPs and parameters join the last kernel
            flops, nb, fam = out[-1]
            out[-1] = (flops + [("elementwise", c.flops * batch)], nb + c.params * nbytes, fam)
    return out


def layer_time(layer, device, peak: float, batch: int, nbytes: int) -> LayerTime:
    compute = memory = total = 0.0
    longest, bound = -1.0, None
    ks = kernels(layer, device.execution == "eager", batch, nbytes)
    for flops, nb, fam in ks:
        tc = sum(f / (peak * device.compute_eff(g)) for g, f in flops)
        fits = device.on_chip_bandwidth is not None and device.on_chip is not None and nb <= device.on_chip
        bw = device.on_chip_bandwidth if fits else device.bandwidth
        tm = nb / (bw * device.memory_eff(fam))
        t = max(tc, tm)
        if t > longest:
            longest, bound = t, (MEMORY if tm > tc else COMPUTE)
        compute += tc
        memory += tm
        total += t + device.overhead
    return LayerTime(total, compute, memory, device.overhead * len(ks), bound, len(ks))


def estimate(graph, device) -> Estimate | None:
    """The estimate of a costed graph on `device`; None when the device has no peak for the spec's dtype."""
    peak = device.peak.get(graph.dtype)
    if peak is None:
        return None
    batch, nbytes = graph.batch, graph.dtype_bytes
    layers = [layer_time(layer, device, peak, batch, nbytes) for layer in graph.layers]
    latency = sum(t.time for t in layers)
    return Estimate(device, graph.dtype, batch, layers, latency, sum(t.compute for t in layers),
                    sum(t.memory for t in layers), sum(t.overhead for t in layers),
                    sum(t.time for t in layers if t.bound == MEMORY))


def unavailable(graph, device, anchor):
    """NS304 at the spec's `dtype:` (or `name:`): the device lists no peak for this dtype."""
    from .diagnostics import Diagnostic

    listed = ", ".join(device.peak)
    return Diagnostic("NS304", f"no latency estimate: device {device.name} has no {graph.dtype} peak "
                      f"(it lists {listed}); write `dtype:` in the spec or add the figure to the profile").at(anchor)
