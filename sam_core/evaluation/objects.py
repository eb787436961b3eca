"""Object metrics of a segmentation against a reference, and the connected components they need (numpy only).

Objects are given as label images (0 = background, every other value one object, e.g. features' ids) or
found as connected components of a mask (8-connectivity by default). A reference object is *hit* when some
predicted object has IoU > 0.5 with it (strictly greater, the rule of SAM fine-tuning recipes). Because the
objects of one label image are disjoint, an object can have IoU > 0.5 with at most one object of the other
image, so hits are one-to-one without any assignment step. The hit rate is hits / reference objects (1.0 when
there are no reference objects: the best value, as every metric of ``metrics`` takes for a zero denominator).

Everything works window by window: ``ObjectOverlap`` accumulates areas and intersections window after window,
and ``StreamingComponents`` labels connected components strip by strip (top to bottom), joining components
across strip boundaries, so a large raster never has to be in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import IOU_THRESHOLD, as_bool, ratio


# -- connected components ------------------------------------------------------------------------------------
def _find_roots(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find over ``n`` nodes with edges (a[i], b[i]): each node's smallest connected node."""
    parent = np.arange(n, dtype=np.int64)
    if n == 0 or a.size == 0:
        return parent
    a, b = a.astype(np.int64), b.astype(np.int64)
    # Parents only ever point to smaller nodes, so there are no cycles and a root is its component's smallest.
    while True:
        while True:  # pointer jumping: every node points straight at its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        ra, rb = parent[a], parent[b]
        apart = ra != rb
        if not apart.any():
            return parent
        a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]  # joined edges stay joined
        low = np.minimum(ra, rb)
        np.minimum.at(parent, ra, low)  # hook each root onto the smallest root it touches
        np.minimum.at(parent, rb, low)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal runs of true pixels: row, start column, end column (exclusive), in raster order."""
    height, width = mask.shape
    padded = np.zeros((height, width + 2), np.int8)
    padded[:, 1:-1] = mask
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _rows, ends = np.nonzero(step == -1)
    return rows, starts, ends


def label_components(mask, connectivity: int = 8) -> tuple[np.ndarray, int]:
    """Connected components of a 2-D mask: (labels, count); labels are 1..count in raster order, 0 outside.

    ``connectivity`` 8 joins diagonal neighbours, 4 only edge neighbours.
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity is 4 or 8, not {connectivity}")
    mask = as_bool(mask)
    if mask.ndim != 2:
        raise ValueError(f"a mask is 2-D, not {mask.ndim}-D")
    labels = np.zeros(mask.shape, np.int32)
    rows, starts, ends = _runs(mask)
    n_runs = rows.size
    if n_runs == 0:
        return labels, 0
    # Runs of row r-1 that touch run j of row r. With keys row * m + column, sorted in raster order, they form
    # one contiguous range [lo, hi): rows before r-1 end before it, rows from r on start after it.
    m = mask.shape[1] + 2
    key_start, key_end = rows * m + starts, rows * m + ends
    above = (rows - 1) * m
    if connectivity == 8:  # touching diagonally counts: end >= start and start <= end
        lo = np.searchsorted(key_end, above + starts, side="left")
        hi = np.searchsorted(key_start, above + ends, side="right")
    else:  # sharing an edge: end > start and start < end
        lo = np.searchsorted(key_end, above + starts, side="right")
        hi = np.searchsorted(key_start, above + ends, side="left")
    n_edges = np.maximum(hi - lo, 0)
    b = np.repeat(np.arange(n_runs), n_edges)
    offsets = np.arange(b.size) - np.repeat(np.cumsum(n_edges) - n_edges, n_edges)
    a = np.repeat(lo, n_edges) + offsets
    roots = _find_roots(n_runs, a, b)
    is_root = roots == np.arange(n_runs)
    run_labels = np.cumsum(is_root)[roots]  # a root is its component's first run: labels in raster order
    labels[mask] = np.repeat(run_labels.astype(np.int32), ends - starts)
    return labels, int(np.count_nonzero(is_root))


class StreamingComponents:
    """Connected components of a mask fed strip by strip, top to bottom, each strip as wide as the mask.

    ``add(strip)`` returns provisional labels (unique over the whole mask, 0 = background); components that
    continue across a strip boundary carry different provisional labels in each strip. After the last strip,
    ``final_ids()`` maps every provisional label to its component's final id (1..count).
    """

    def __init__(self, connectivity: int = 8) -> None:
        if connectivity not in (4, 8):
            raise ValueError(f"connectivity is 4 or 8, not {connectivity}")
        self.connectivity = connectivity
        self.count = 0  # provisional labels handed out so far
        self._last_row: np.ndarray | None = None
        self._edges: list[np.ndarray] = []

    def add(self, strip) -> np.ndarray:
        labels, n = label_components(strip, self.connectivity)
        labels = labels.astype(np.int64)
        labels[labels > 0] += self.count
        self.count += n
        if labels.shape[0] and self._last_row is not None:
            first = labels[0]
            if first.shape != self._last_row.shape:
                raise ValueError("every strip must be as wide as the first one")
            shifts = (-1, 0, 1) if self.connectivity == 8 else (0,)
            width = first.size
            for shift in shifts:  # last row above (column c) touches first row below (column c + shift)
                upper = self._last_row[max(0, -shift) : width - max(0, shift)]
                lower = first[max(0, shift) : width + min(0, shift)]
                both = (upper > 0) & (lower > 0)
                if both.any():
                    self._edges.append(np.unique(np.stack([upper[both], lower[both]], axis=1), axis=0))
        if labels.shape[0]:
            self._last_row = labels[-1].copy()
        return labels

    def final_ids(self) -> np.ndarray:
        """Array indexed by provisional label (0..count) giving the final id (0 stays 0)."""
        if self._edges:
            edges = np.concatenate(self._edges)
            a, b = edges[:, 0], edges[:, 1]
        else:
            a = b = np.zeros(0, np.int64)
        roots = _find_roots(self.count + 1, a, b)
        _unique, final = np.unique(roots, return_inverse=True)  # root 0 is the background's and sorts first
        return final.astype(np.int64)


# -- object matching -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ObjectMatch:
    """Reference objects against predicted objects: which reference objects were hit (IoU > threshold)."""

    reference_ids: np.ndarray  # ids of the reference objects (those with at least one counted pixel)
    best_iou: np.ndarray  # for each, the best IoU with any predicted object
    predicted_ids: np.ndarray
    predicted_best_iou: np.ndarray  # for each predicted object, its best IoU with any reference object
    threshold: float = IOU_THRESHOLD

    @property
    def n_reference(self) -> int:
        return int(self.reference_ids.size)

    @property
    def n_hit(self) -> int:
        return int(np.count_nonzero(self.best_iou > self.threshold))

    @property
    def hit_rate(self) -> float:
        """Share of reference objects matched by a predicted object with IoU > threshold (1.0 if none)."""
        return ratio(self.n_hit, self.n_reference, 1.0)

    @property
    def n_predicted(self) -> int:
        return int(self.predicted_ids.size)

    @property
    def n_predicted_matched(self) -> int:
        return int(np.count_nonzero(self.predicted_best_iou > self.threshold))

    def to_dict(self) -> dict[str, int | float]:
        return {
            "reference_objects": self.n_reference,
            "reference_objects_hit": self.n_hit,
            "object_hit_rate": self.hit_rate,
            "predicted_objects": self.n_predicted,
            "predicted_objects_matched": self.n_predicted_matched,
        }


class ObjectOverlap:
    """Object areas and pairwise intersections, accumulated window by window.

    ``add(pred_labels, ref_labels, valid)`` takes two label images of one window (0 = background; ids unique
    over the whole image, non-negative, below 2**31); only ``valid`` pixels count. ``match()`` then compares
    the objects; ``pred_ids`` / ``ref_ids`` arrays (indexed by label) rename labels first, e.g. to join the
    provisional labels of ``StreamingComponents``.
    """

    _SHIFT = 31

    def __init__(self) -> None:
        self._pred: list[tuple[np.ndarray, np.ndarray]] = []
        self._ref: list[tuple[np.ndarray, np.ndarray]] = []
        self._pairs: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, pred_labels, ref_labels, valid=None) -> None:
        pred, ref = np.asarray(pred_labels), np.asarray(ref_labels)
        if pred.shape != ref.shape:
            raise ValueError(f"label images differ in shape: {pred.shape} and {ref.shape}")
        if valid is not None:
            valid = as_bool(valid)
            pred, ref = pred[valid], ref[valid]
        pred, ref = pred.astype(np.int64).ravel(), ref.astype(np.int64).ravel()
        for values in (pred, ref):
            if values.size and (values.min() < 0 or values.max() >= 2**self._SHIFT):
                raise ValueError("object labels must lie in 0 .. 2**31 - 1")
        for values, store in ((pred, self._pred), (ref, self._ref)):
            ids, counts = np.unique(values[values > 0], return_counts=True)
            store.append((ids, counts))
        both = (pred > 0) & (ref > 0)
        codes, counts = np.unique((pred[both] << self._SHIFT) | ref[both], return_counts=True)
        self._pairs.append((codes, counts))

    @staticmethod
    def _total(parts: list[tuple[np.ndarray, np.ndarray]], rename: np.ndarray | None = None):
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ids = np.concatenate([p[0] for p in parts]).astype(np.int64)
        counts = np.concatenate([p[1] for p in parts]).astype(np.int64)
        if rename is not None:
            ids = np.asarray(rename, np.int64)[ids]
        unique, inverse = np.unique(ids, return_inverse=True)
        return unique, np.bincount(inverse, weights=counts, minlength=unique.size).astype(np.int64)

    def match(self, threshold: float = IOU_THRESHOLD, pred_ids=None, ref_ids=None) -> ObjectMatch:
        pred_unique, pred_area = self._total(self._pred, pred_ids)
        ref_unique, ref_area = self._total(self._ref, ref_ids)
        codes, inter = self._total(self._pairs)
        p, r = codes >> self._SHIFT, codes & (2**self._SHIFT - 1)
        if pred_ids is not None:
            p = np.asarray(pred_ids, np.int64)[p]
        if ref_ids is not None:
            r = np.asarray(ref_ids, np.int64)[r]
        if pred_ids is not None or ref_ids is not None:  # renaming may have merged pairs
            pairs, inverse = np.unique(np.stack([p, r], axis=1), axis=0, return_inverse=True)
            inter = np.bincount(inverse.ravel(), weights=inter, minlength=len(pairs)).astype(np.int64)
            p, r = pairs[:, 0], pairs[:, 1]
        pi = np.searchsorted(pred_unique, p)
        ri = np.searchsorted(ref_unique, r)
        union = pred_area[pi] + ref_area[ri] - inter
        pair_iou = inter / np.maximum(union, 1)
        best_ref = np.zeros(ref_unique.size)
        best_pred = np.zeros(pred_unique.size)
        np.maximum.at(best_ref, ri, pair_iou)
        np.maximum.at(best_pred, pi, pair_iou)
        return ObjectMatch(ref_unique, best_ref, pred_unique, best_pred, threshold)


def match_objects(pred_labels, ref_labels, valid=None, threshold: float = IOU_THRESHOLD) -> ObjectMatch:
    """Match the objects of two label images (0 = background, each other value one object)."""
    overlap = ObjectOverlap()
    overlap.add(pred_labels, ref_labels, valid)
    return overlap.match(threshold)


def object_hit_rate(
    pred, ref, valid=None, threshold: float = IOU_THRESHOLD, connectivity: int = 8, labelled: bool = False
) -> float:
    """Share of reference objects hit by a predicted object with IoU > ``threshold``.

    With ``labelled=False`` (default) ``pred`` and ``ref`` are binary masks whose connected components are the
    objects; with ``labelled=True`` they are label images (object ids, 0 = background).
    """
    if not labelled:
        pred = label_components(pred, connectivity)[0]
        ref = label_components(ref, connectivity)[0]
    return match_objects(pred, ref, valid, threshold).hit_rate
