"""InferenceSession.profile_run: one run timing every step of the main graph.

The timing wraps each step only for this call (the plan's steps, or each
op's `run` on the unplanned path), so `run` itself pays nothing.
"""
import time

from . import plan as planning


def profile_run(session, input_feed, output_names=None):
    """[(op_type, node_name, ms)] of one run of `session` (see InferenceSession.profile_run)."""
    records = []
    input_feed = dict(input_feed)
    session._check_feeds(input_feed)
    names = [o.name for o in session._outputs] if output_names is None else list(output_names)
    key = planning.signature(session._runner, input_feed) if session._use_plans else None
    if key is not None and key not in session._plans:
        session._run(input_feed, names)
    plan = session._plans.get(key) if key is not None else None
    if plan is not None:
        try:
            return plan.profile(input_feed, names, time.perf_counter)
        except planning.ShapeChanged as e:
            session._shape_changed(key, e)
            return session.profile_run(input_feed, output_names)
    ops = [op for op, _, _ in session._runner.steps]
    for op in ops:
        op.run = timed_run(op, records)   # an instance attribute shadows the method
    try:
        session._runner.run(input_feed, names=names)
    finally:
        for op in ops:
            op.__dict__.pop("run", None)
    if ops and not records:
        raise RuntimeError("profile_run: the run loop no longer calls op.run; update the profiling hook")
    return records


def timed_run(op, records, clock=time.perf_counter):
    """op.run, appending (op_type, node name, ms) to `records` per call."""
    run, op_type, name = op.run, op.op_type, op.node.name

    def timed(*args):
        t0 = clock()
        try:
            return run(*args)
        finally:
            records.append((op_type, name, (clock() - t0) * 1e3))
    return timed
