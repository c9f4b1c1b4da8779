"""The selection algorithms PyTorch's CPU kernels run, step for step, for the rows where the
answer depends on them: which of several equal values `topk` and `kthvalue` return (and in what
order) is decided by the algorithm, not by the values. `topk` runs libstdc++'s `nth_element`,
`sort` and `partial_sort` (introselect, introsort, heap select); `kthvalue` runs ATen's own
quick select. Both work on Python lists; callers use them only for rows holding ties."""


def _lg(n):
    return n.bit_length() - 1


def _insertion_sort(a, lo, hi, comp):
    for i in range(lo + 1, hi):
        val = a[i]
        if comp(val, a[lo]):
            a[lo + 1:i + 1] = a[lo:i]
            a[lo] = val
        else:
            j = i
            while comp(val, a[j - 1]):
                a[j] = a[j - 1]
                j -= 1
            a[j] = val


def _median_to_first(a, result, x, y, z, comp):
    if comp(a[x], a[y]):
        if comp(a[y], a[z]):
            m = y
        elif comp(a[x], a[z]):
            m = z
        else:
            m = x
    elif comp(a[x], a[z]):
        m = x
    elif comp(a[y], a[z]):
        m = z
    else:
        m = y
    a[result], a[m] = a[m], a[result]


def _partition_pivot(a, lo, hi, comp):
    mid = lo + (hi - lo) // 2
    _median_to_first(a, lo, lo + 1, mid, hi - 1, comp)
    first, last, pivot = lo + 1, hi, lo
    while True:
        while comp(a[first], a[pivot]):
            first += 1
        last -= 1
        while comp(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _adjust_heap(a, lo, hole, n, value, comp):
    top, child = hole, hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if comp(a[lo + child], a[lo + child - 1]):
            child -= 1
        a[lo + hole] = a[lo + child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        a[lo + hole] = a[lo + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and comp(a[lo + parent], value):
        a[lo + hole] = a[lo + parent]
        hole, parent = parent, (parent - 1) // 2
    a[lo + hole] = value


def _heap_select(a, lo, mid, hi, comp):
    n = mid - lo
    if n >= 2:
        for parent in range((n - 2) // 2, -1, -1):
            _adjust_heap(a, lo, parent, n, a[lo + parent], comp)
    for i in range(mid, hi):
        if comp(a[i], a[lo]):
            value, a[i] = a[i], a[lo]
            _adjust_heap(a, lo, 0, n, value, comp)


def _sort_heap(a, lo, hi, comp):
    while hi - lo > 1:
        hi -= 1
        value, a[hi] = a[hi], a[lo]
        _adjust_heap(a, lo, 0, hi - lo, value, comp)


def partial_sort(a, lo, mid, hi, comp):
    _heap_select(a, lo, mid, hi, comp)
    _sort_heap(a, lo, mid, comp)


def nth_element(a, lo, nth, hi, comp):
    if lo == hi or nth == hi:
        return
    depth = 2 * _lg(hi - lo)
    while hi - lo > 3:
        if depth == 0:
            _heap_select(a, lo, nth + 1, hi, comp)
            a[lo], a[nth] = a[nth], a[lo]
            return
        depth -= 1
        cut = _partition_pivot(a, lo, hi, comp)
        if cut <= nth:
            lo = cut
        else:
            hi = cut
    _insertion_sort(a, lo, hi, comp)


def sort(a, lo, hi, comp):
    if hi - lo < 2:
        return
    _introsort(a, lo, hi, 2 * _lg(hi - lo), comp)
    if hi - lo > 16:
        _insertion_sort(a, lo, lo + 16, comp)
        for i in range(lo + 16, hi):  # unguarded linear insert
            val, j = a[i], i
            while comp(val, a[j - 1]):
                a[j] = a[j - 1]
                j -= 1
            a[j] = val
    else:
        _insertion_sort(a, lo, hi, comp)


def _introsort(a, lo, hi, depth, comp):
    while hi - lo > 16:
        if depth == 0:
            partial_sort(a, lo, hi, hi, comp)
            return
        depth -= 1
        cut = _partition_pivot(a, lo, hi, comp)
        _introsort(a, cut, hi, depth, comp)
        hi = cut


def topk_row(values, k, largest=True, sorted_=True):
    """PyTorch's CPU topk of one row: the indices, in its order."""
    q = [(v, j) for j, v in enumerate(values)]
    if largest:
        def comp(x, y):
            return x[0] != x[0] and y[0] == y[0] or x[0] > y[0]
    else:
        def comp(x, y):
            return x[0] == x[0] and y[0] != y[0] or x[0] < y[0]
    n = len(q)
    if k == 0:
        return []
    if k * 64 <= n:
        partial_sort(q, 0, k, n, comp)
    else:
        nth_element(q, 0, k - 1, n, comp)
        if sorted_:
            sort(q, 0, k - 1, comp)
    return [j for _, j in q[:k]]


def quick_select(v, k):
    """ATen's quick_select_template on the list `v` (NaN largest): the index of the k-th
    smallest (from 0), as kthvalue returns it."""
    def gt(x, y):
        return x != x and y == y or x > y
    idx = list(range(len(v)))

    def swap(i, j):
        v[i], v[j], idx[i], idx[j] = v[j], v[i], idx[j], idx[i]
    lo, hi = 0, len(v) - 1
    while hi > lo:
        if hi == lo + 1:
            if gt(v[lo], v[hi]):
                swap(lo, hi)
            break
        swap(lo + (hi - lo) // 2, lo + 1)  # the median of three as pivot, at lo
        for x, y in ((lo + 1, hi), (lo, hi), (lo + 1, lo)):
            if gt(v[x], v[y]):
                swap(x, y)
        i, j, piv = lo + 1, hi, v[lo]
        while True:
            i += 1
            while gt(piv, v[i]):
                i += 1
            j -= 1
            while gt(v[j], piv):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return idx[k]


def mode_row(values):
    """ATen's CPU mode of one row: (value, index) pairs sorted by value with libstdc++'s sort
    and `<` (NaN unordered), then the last element of the first longest run; its index."""
    q = [(v, j) for j, v in enumerate(values)]
    sort(q, 0, len(q), lambda x, y: x[0] < y[0])
    best, best_n, run = 0, 0, 0
    for k in range(len(q)):
        run += 1
        if k == len(q) - 1 or q[k][0] != q[k + 1][0]:
            if run > best_n:
                best, best_n = q[k][1], run
            run = 0
    return best
