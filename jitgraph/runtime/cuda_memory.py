"""Device memory bookkeeping without the device: the caching allocator (over any
backend with ``malloc``/``free``, cudaMalloc/cudaFree in ``jitgraph.runtime.cuda``),
the block that returns memory to it, and ``DeviceArray`` — a pointer, shape, strides
and dtype; views are pointer arithmetic. Copies go through the process's CUDA runtime
(``jitgraph.runtime.cuda.require()``)."""
import math
import threading

import numpy as np


SMALL_LIMIT = 1 << 20          # up to 1 MiB: power-of-two classes from 512 bytes
MIN_BLOCK = 512
LARGE_ROUND = 2 << 20          # above: multiples of 2 MiB


def size_class(nbytes):
    """The block size serving a request of ``nbytes`` (0 gets the smallest block)."""
    n = max(int(nbytes), 1)
    if n <= SMALL_LIMIT:
        return max(MIN_BLOCK, 1 << (n - 1).bit_length())
    return -(-n // LARGE_ROUND) * LARGE_ROUND


class CachingAllocator:
    """Device memory in size classes: a freed block goes to its class's free list and
    serves the next request of that class without a device call. ``backend`` provides
    ``malloc(nbytes) -> int address`` (raising MemoryError when the device is full) and
    ``free(address)``; when the device is full, cached blocks are released and the
    request retried once."""

    def __init__(self, backend):
        self.backend = backend
        # reentrant: a DeviceBlock collected by a GC pass that runs inside malloc frees into here
        self._lock = threading.RLock()
        self._free = {}       # size class -> addresses
        self._live = {}       # address -> size class
        self.requests = 0     # malloc calls served
        self.hits = 0         # ... of which from the cache
        self.device_allocs = 0
        self.bytes_in_use = 0
        self.bytes_cached = 0

    def malloc(self, nbytes):
        block = size_class(nbytes)
        with self._lock:
            self.requests += 1
            cached = self._free.get(block)
            if cached:
                ptr = cached.pop()
                self.hits += 1
                self.bytes_cached -= block
            else:
                ptr = self._device_malloc(block)
            self._live[ptr] = block
            self.bytes_in_use += block
            return ptr

    def _device_malloc(self, block):
        try:
            ptr = self.backend.malloc(block)
        except MemoryError:
            self._release_cached()
            try:
                ptr = self.backend.malloc(block)
            except MemoryError:
                raise MemoryError(f"CUDA device out of memory allocating {block} bytes "
                                  f"({self.bytes_in_use} bytes in use by jitgraph)") from None
        self.device_allocs += 1
        return ptr

    def free(self, ptr):
        with self._lock:
            block = self._live.pop(ptr, None)
            if block is None:
                raise ValueError(f"free of device address {ptr:#x}, which this allocator did not allocate "
                                 "or already freed")
            self.bytes_in_use -= block
            self.bytes_cached += block
            self._free.setdefault(block, []).append(ptr)

    def empty_cache(self):
        """Give every cached (unused) block back to the device."""
        with self._lock:
            self._release_cached()

    def _release_cached(self):
        for block, ptrs in self._free.items():
            for ptr in ptrs:
                self.backend.free(ptr)
            self.bytes_cached -= block * len(ptrs)
        self._free.clear()

    def stats(self):
        return {"bytes_in_use": self.bytes_in_use, "bytes_cached": self.bytes_cached,
                "requests": self.requests, "hits": self.hits, "device_allocs": self.device_allocs}


class DeviceBlock:
    """Owns one allocation; returns it to the allocator when no array refers to it."""

    __slots__ = ("allocator", "ptr", "__weakref__")

    def __init__(self, allocator, ptr):
        self.allocator = allocator
        self.ptr = ptr

    def __del__(self):
        try:
            self.allocator.free(self.ptr)
        except Exception:   # interpreter shutdown
            pass


def c_strides(shape, itemsize):
    """Byte strides of a C-contiguous array."""
    strides, s = [], itemsize
    for n in reversed(shape):
        strides.append(s)
        s *= max(n, 1)
    return tuple(reversed(strides))


class DeviceArray:
    """An n-d array in device memory: ``ptr`` (address of element 0), ``shape``,
    ``strides`` (bytes), ``dtype`` and ``owner`` (what keeps the memory alive: a
    DeviceBlock, shared by every view of it)."""

    __slots__ = ("ptr", "shape", "strides", "dtype", "owner")
    __array_priority__ = 1000

    def __init__(self, ptr, shape, strides, dtype, owner):
        self.ptr = int(ptr)
        self.shape = tuple(int(s) for s in shape)
        self.strides = tuple(int(s) for s in strides)
        self.dtype = np.dtype(dtype)
        self.owner = owner

    @classmethod
    def from_host(cls, array, runtime=None):
        return (runtime or _runtime()).upload(np.asarray(array))

    def to_host(self, runtime=None):
        return (runtime or _runtime()).download(self)

    def copy(self, runtime=None):
        return (runtime or _runtime()).copy(self)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.size * self.itemsize

    @property
    def is_c_contiguous(self):
        return self.size == 0 or all(n == 1 or st == c for n, st, c in
                                     zip(self.shape, self.strides, c_strides(self.shape, self.itemsize)))

    def extent(self):
        """(lo, hi): the byte range, relative to ``ptr``, the elements occupy."""
        if self.size == 0:
            return 0, 0
        lo = sum((n - 1) * s for n, s in zip(self.shape, self.strides) if s < 0)
        hi = sum((n - 1) * s for n, s in zip(self.shape, self.strides) if s > 0) + self.itemsize
        return lo, hi

    def __getitem__(self, index):
        """A view (no copy) for basic indexing: integers and slices."""
        if not isinstance(index, tuple):
            index = (index,)
        if any(i is Ellipsis or i is None for i in index) or len(index) > self.ndim:
            raise IndexError(f"DeviceArray supports integers and slices on its {self.ndim} dimension(s), "
                             f"got {index!r}")
        ptr, shape, strides = self.ptr, [], []
        for d, (n, st) in enumerate(zip(self.shape, self.strides)):
            if d >= len(index):
                shape.append(n)
                strides.append(st)
                continue
            i = index[d]
            if isinstance(i, slice):
                start, stop, step = i.indices(n)
                length = len(range(start, stop, step))
                ptr += start * st if length else 0
                shape.append(length)
                strides.append(st * step)
            else:
                k = int(i)
                if not -n <= k < n:
                    raise IndexError(f"index {k} is out of bounds for dimension {d} with size {n}")
                ptr += (k % n) * st
        return DeviceArray(ptr, shape, strides, self.dtype, self.owner)

    @property
    def __cuda_array_interface__(self):
        """So CuPy, PyTorch or Numba can use the memory without a copy. No stream is named:
        ours is a blocking stream, ordered with the legacy default stream they assume."""
        return {"shape": self.shape, "typestr": self.dtype.str, "data": (self.ptr, False),
                "strides": None if self.is_c_contiguous else self.strides, "version": 3}

    def __array__(self, *args, **kwargs):
        raise TypeError("a DeviceArray lives in GPU memory; copy it to the host explicitly with .to_host()")

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d DeviceArray")
        return self.shape[0]

    def __repr__(self):
        return f"DeviceArray(shape={self.shape}, dtype={self.dtype}, strides={self.strides}, ptr={self.ptr:#x})"


def _runtime():
    from jitgraph.runtime.cuda import require
    return require()
