import numpy as np

from ..limits import deadline_check
from .base import Op, register


def _corners(boxes, center_point_box):
    """(y1, x1, y2, x2) with y1 <= y2, x1 <= x2, from either box format."""
    b = boxes.astype(np.float64)
    if center_point_box:        # [x_center, y_center, width, height]
        xc, yc, w, h = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
        return yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2
    y1, x1, y2, x2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]   # any diagonal pair of corners
    return np.minimum(y1, y2), np.minimum(x1, x2), np.maximum(y1, y2), np.maximum(x1, x2)


def _scalar(v, default):
    return default if v is None or v.size == 0 else v.reshape(-1)[0]


@register("NonMaxSuppression", since=10)
class NonMaxSuppression(Op):
    """Greedy per (batch, class): take boxes by descending score (ties: lower
    index first), drop any whose IoU with an already kept box exceeds
    iou_threshold. Boxes must score above score_threshold when it is given.
    Output rows [batch, class, box], int64."""
    def run(self, boxes, scores, max_out=None, iou_threshold=None, score_threshold=None):
        self.check_shape("boxes", boxes, (None, None, 4))
        self.check_shape("scores", scores, (boxes.shape[0], None, boxes.shape[1]))
        limit = int(_scalar(max_out, 0))
        iou_t = float(_scalar(iou_threshold, 0.0))
        center = int(self.attr("center_point_box", 0))
        picked = []
        tick = deadline_check(self)     # a Python step per box, against every box kept so far
        for b in range(boxes.shape[0]):
            y1, x1, y2, x2 = _corners(boxes[b], center)
            area = (y2 - y1) * (x2 - x1)
            for c in range(scores.shape[1]):
                s = scores[b, c]
                order = np.argsort(-s.astype(np.float64), kind="stable")
                if score_threshold is not None and score_threshold.size:
                    order = order[s[order] > score_threshold.reshape(-1)[0]]
                kept = []
                for i in order:
                    tick()
                    if len(kept) >= limit:
                        break
                    if kept:
                        k = np.array(kept)
                        ih = np.minimum(y2[k], y2[i]) - np.maximum(y1[k], y1[i])
                        iw = np.minimum(x2[k], x2[i]) - np.maximum(x1[k], x1[i])
                        inter = np.where((ih > 0) & (iw > 0), ih * iw, 0.0)
                        union = area[k] + area[i] - inter
                        iou = np.where((inter > 0) & (union > 0), inter / np.where(union > 0, union, 1), 0.0)
                        if np.any(iou > iou_t):
                            continue
                    kept.append(int(i))
                picked += [(b, c, i) for i in kept]
        return (np.array(picked, dtype=np.int64).reshape(-1, 3),)
