"""Where each arena buffer of a plan goes: offsets from buffer lifetimes.

A plan (plan.py) knows, for every value it keeps in the arena, its size and
the first and last step that use it. Two buffers alive at the same step must
not overlap; any others may share bytes. `assign_offsets` lays them out
greedy by size with best fit, as TFLite's and MACE's planners and tinygrad's
memory planner do, and falls back to an O(n log n) sweep when best fit would
have to examine too many pairs (a hostile graph of thousands of parallel
branches), so planning never turns quadratic.
"""
import bisect
import heapq

ALIGN = 64            # bytes; every arena buffer starts on a cache line (kernels need 16)
MAX_OVERLAPS = 1 << 19   # buffer pairs alive together that best fit may examine; past it, _sweep_offsets


def assign_offsets(buffers, align=ALIGN):
    """buffers: [(size, first_step, last_step)]. Greedy by size, best fit:
    the largest buffer is placed first, each at the smallest gap between
    buffers whose lifetimes overlap it. Returns (offsets, total bytes).

    Best fit looks at each pair of buffers alive together, so when there are
    more than MAX_OVERLAPS such pairs (thousands of parallel branches) the
    arena is laid out by _sweep_offsets instead: O(n log n) whatever the
    graph, a hostile model cannot make planning quadratic."""
    sizes = [-(-size // align) * align for size, _, _ in buffers]
    overlapping = _overlaps(buffers, MAX_OVERLAPS)
    if overlapping is None:
        return _sweep_offsets(buffers, sizes)
    order = sorted(range(len(buffers)), key=lambda i: (-buffers[i][0], buffers[i][1]))
    offsets, total = [None] * len(buffers), 0
    for i in order:
        size = sizes[i]
        busy = sorted((offsets[j], offsets[j] + sizes[j]) for j in overlapping[i] if offsets[j] is not None)
        best, best_gap, cursor = None, None, 0
        for lo, hi in busy:
            gap = lo - cursor
            if gap >= size and (best_gap is None or gap < best_gap):
                best, best_gap = cursor, gap
            cursor = max(cursor, hi)
        offsets[i] = cursor if best is None else best
        total = max(total, offsets[i] + size)
    return offsets, total


def _overlaps(buffers, limit):
    """Per buffer, the buffers whose lifetimes overlap its own (a sweep over
    start steps); None when there are more than `limit` such pairs."""
    order = sorted(range(len(buffers)), key=lambda i: buffers[i][1])
    found = [[] for _ in buffers]
    alive, ends, pairs = set(), [], 0      # ends: heap of (last step, buffer)
    for i in order:
        first = buffers[i][1]
        while ends and ends[0][0] < first:
            alive.discard(heapq.heappop(ends)[1])
        pairs += len(alive)
        if pairs > limit:
            return None
        for j in alive:
            found[i].append(j)
            found[j].append(i)
        alive.add(i)
        heapq.heappush(ends, (buffers[i][2], i))
    return found


def _sweep_offsets(buffers, sizes):
    """Buffers in order of their first step, each in the smallest free block
    that holds it (a block is freed after its buffer's last step; the rest
    of a larger block stays free), else at the end of the arena. Bisection
    keeps it O(n log n); it shares less than best fit."""
    order = sorted(range(len(buffers)), key=lambda i: (buffers[i][1], -sizes[i]))
    offsets, total = [None] * len(buffers), 0
    free, ends = [], []     # free: sorted (size, offset); ends: heap of (last step, buffer)
    for i in order:
        first, size = buffers[i][1], sizes[i]
        while ends and ends[0][0] < first:
            j = heapq.heappop(ends)[1]
            bisect.insort(free, (sizes[j], offsets[j]))
        k = bisect.bisect_left(free, (size, -1))
        if k < len(free):
            block, at = free.pop(k)
            if block > size:
                bisect.insort(free, (block - size, at + size))
            offsets[i] = at
        else:
            offsets[i] = total
        total = max(total, offsets[i] + size)
        heapq.heappush(ends, (buffers[i][2], i))
    return offsets, total
