"""The kernel API of the PE mesh: write a kernel once for "the PE at (x, y)" and run it on every PE.

    pe = PE(MeshSim(machine_of("wse-3", (8, 8))))
    u = pe.buffer("u", 16)                               # 16 fp32 values per PE, SRAM reserved
    u.write(init)                                        # (rows, cols, 16)
    east = pe.color("east")
    got = pe.multicast(east, "E", pe.x == 0, data=u)     # west column streams u east
    v = pe.buffer("v", 16)
    pe.on_data("store", got, per_wavelet=1, into=v)      # a data task per arriving wavelet
    pe.add(u, u, v, where=pe.x > 0)                      # SIMD op on buffers, cycles charged
    pe.mark("step")

See docs/mesh-kernels.md. Misuse raises `KernelError` naming the PE (x, y) and the resource.
"""

from wafersim.mesh.kernel.arrival import Arrival
from wafersim.mesh.kernel.buffer import Buffer
from wafersim.mesh.kernel.pe import PE
from wafersim.mesh.misuse import KernelError, SramOverflow

__all__ = ["PE", "Arrival", "Buffer", "KernelError", "SramOverflow"]
