"""The tape plan of an adjoint, written for its reader.

For every value its reverse sweep reads, the planner (passes/planner.py)
decides how the value is there when it is read: still live (nothing to do),
recomputed in each reverse iteration, undone by inverting its update, or
stored before it is overwritten (in an array allocated once with a slot per
loop iteration when the loops' trip counts are known before they run, on a
stack allocated once when only a bound on the number of saves is known then
-- a triangular nest, a loop left by ``break`` -- else in a list); and which
loop runs its
forward and reverse iterations fused, which loops are checkpointed.
``plan_lines`` renders those decisions as the comment block printed at the
top of the adjoint (``sd.show``, ``.source``), naming the user's variables
and lines; generated temporaries are named by the line they come from.
"""
from __future__ import annotations

import ast

from .. import ir
from .activity import walk
from .astutil import nodes, stored_names
from .tape import STACK_START


def line_ref(line) -> str:
    """A user line in a plan line; the emitter makes it a line of the file."""
    return f"line @{line}"


def _lines(stmts) -> str:
    lines = sorted({ir.LINE(s) for s in stmts if ir.LINE(s) is not None})
    if not lines:
        return "?"
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(f"@{n}" for n in lines)


def _verb(where) -> str:
    return "overwrite" if where.startswith("lines") else "overwrites"


def _plural(n, word) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _loop_name(loop) -> str:
    kind = "while loop" if isinstance(loop, ast.While) else "loop"
    return f"the {kind} at {line_ref(ir.LINE(loop))}"


def _named(variables: dict) -> str:
    """'x' (line 3), 'y' (line 5), 2 temporaries of lines 4, 6."""
    named = [f"'{v}' ({_lines(sites)})" for v, sites in variables.items()
             if not v.startswith("_")]
    temps = [s for v, sites in variables.items() if v.startswith("_") for s in sites]
    n_temps = sum(v.startswith("_") for v in variables)
    if n_temps:
        named.append(f"{_plural(n_temps, 'temporary').replace('temporarys', 'temporaries')} "
                     f"of {_lines(temps)}")
    return ", ".join(named)


def _binders(loop, variables) -> dict:
    """``{var: the statements of loop's body that assign it}`` for ``_named`` (a
    temporary is then told by its lines, never by its generated name)."""
    out = {v: [] for v in variables}
    for s in walk(loop.body):
        for v in stored_names(s) & set(out) if isinstance(s, (ast.Assign, ast.AugAssign)) \
                else ():
            out[v].append(s)
    return out


def _rerun_nest(rt, loop, nest) -> str:
    arrays = sorted(rt.rerun[id(loop)].arrays & rt.rerun[id(loop)].writes[id(nest)])
    what = ", ".join(f"'{a}'" for a in arrays if not a.startswith("_"))
    return _loop_name(nest) + (f" (writes {what})" if what else "")


def _stored(rt, names, stmts, loops) -> list:
    out = []
    saved = {}
    order = {sid: i for i, sid in enumerate(stmts)}  # walk order: stable across processes
    for sid, var in sorted(rt.save_at, key=lambda p: (p[1], order[p[0]])):
        saved.setdefault(var, []).append(stmts[sid])
    scalars = {}
    for var, sites in saved.items():
        if not var.endswith("[]"):
            scalars[var] = sites
            continue
        base = var[:-2]
        indexed = [s for s in sites if id(s) in rt.indexed]
        for site in indexed:
            at = _lines([site])
            out.append(f"stored: elements of '{base}' before {at} overwrites them, "
                       f"in {names.indexed_tape(site)}, allocated once "
                       f"({ast.unparse(rt.indexed[id(site)].slots())} values)")
        sites = [s for s in sites if id(s) not in rt.indexed]
        sliced = [s for s in sites if _sliced(s)]
        sites = [s for s in sites if not _sliced(s)]
        where = _lines(sites)
        if sites and ("_items", base) in rt.stacks:
            out.append(f"stored: elements of '{base}' before {where} {_verb(where)} them, "
                       f"on the stack {_stack(rt, names, ('_items', base))}")
        elif sites:
            why = "arrays, not numbers" if any(rt.item_type(base, _target(s).slice) is None
                                               for s in sites) else _unbounded(rt, sites)
            out.append(f"stored: elements of '{base}' before {where} {_verb(where)} them, "
                       f"in a list ({why})")
        where = _lines(sliced)
        if sliced:
            out.append(f"stored: slices of '{base}' before {where} {_verb(where)} them, "
                       f"copied into a list")
    indexed, computed, stacked, listed, reread = {}, {}, {}, {}, {}
    for v, sites in scalars.items():
        slots = [s for s in sites if (id(s), v) in rt.indexed_scalars]
        rest = [s for s in sites if (id(s), v) not in rt.indexed_scalars]
        at_def = [s for s in slots if (id(s), v) in rt.stored_at_def]
        if [s for s in at_def if (id(s), v) not in rt.read_from_saves]:
            computed[v] = [s for s in at_def if (id(s), v) not in rt.read_from_saves]
        if [s for s in at_def if (id(s), v) in rt.read_from_saves]:
            reread[v] = [s for s in at_def if (id(s), v) in rt.read_from_saves]
        if len(at_def) < len(slots):
            indexed[v] = [s for s in slots if (id(s), v) not in rt.stored_at_def]
        if [s for s in rest if (id(s), v) in rt.peeked]:
            reread.setdefault(v, []).extend(s for s in rest if (id(s), v) in rt.peeked)
        rest = [s for s in rest if (id(s), v) not in rt.peeked]
        if rest:
            (stacked if ("saved", v) in rt.stacks else listed)[v] = rest
    if computed:
        out.append(f"stored where computed, one slot per loop iteration in arrays allocated "
                   f"once (loaded where the reverse iteration starts): {_named(computed)}")
    if reread:
        out.append(f"loaded where the reverse iteration starts from the elements saved before "
                   f"their overwrite (the same values, not stored twice): {_named(reread)}")
    if indexed:
        out.append(f"stored before each overwrite, one slot per loop iteration in arrays "
                   f"allocated once: {_named(indexed)}")
    for v, sites in stacked.items():
        out.append(f"stored before each overwrite: {_named({v: sites})}, on the stack "
                   f"{_stack(rt, names, ('saved', v))}")
    numbers = {v: sites for v, sites in listed.items()
               if rt.types.get(v) is not None and rt.types[v].is_scalar}
    for group, why in ((numbers, None), ({v: s for v, s in listed.items() if v not in numbers},
                                          "values that are not numbers")):
        if group:
            reason = why or _unbounded(rt, [s for sites in group.values() for s in sites])
            out.append(f"stored before each overwrite, in lists ({reason}): {_named(group)}")
    for loop in loops:
        snap = rt.snapshot_vars_of(loop)
        if not snap:
            continue
        in_array = set(rt.array_tapes.get(id(loop), ()))
        stacked = all(("saved", v) in rt.stacks or v in in_array for v in snap)
        how = "one slot per iteration, allocated once" if set(snap) <= in_array else \
            f"on the stack {_stack(rt, names, ('saved', snap[0]))}" if stacked and len(snap) == 1 \
            else "on stacks allocated once" if stacked else "a list"
        carried = ", ".join(f"'{v}'" for v in snap)
        out.append(f"stored once per iteration of {_loop_name(loop)}: {carried} "
                   f"(carried from one iteration to "
                   f"the next; {how})")
    return out


def _unbounded(rt, stmts) -> str:
    """Why the planner knows no bound on the values a list receives: a ``while``
    loop around them, else bounds the loops compute as they run."""
    loops = [lp for s in stmts for lp in rt.stmt_loops.get(id(s), [])]
    if any(isinstance(lp, ast.While) for lp in loops):
        return "a while loop"
    return "loop bounds with no limit known before the loops run"


def _target(store):
    return store.targets[0] if isinstance(store, ast.Assign) else store.target


def _sliced(store) -> bool:
    target = _target(store)
    parts = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
    return any(isinstance(p, ast.Slice) for p in parts)


def _stack(rt, names, key) -> str:
    """``_saved_x`` (room for ``n`` values, a bound on the pushes)."""
    tape = rt.stacks[key]
    where = "before everything" if tape.top is None else \
        f"before {line_ref(ir.LINE(tape.top))}"
    what = "arrays of its shape" if tape.row else "values"
    head = f"{names.stack_name(key)}, allocated once {where} with room for"
    if names.grows(key) and tape.open_ended:
        return (f"{head} {STACK_START} {what}, doubled when full (a while loop with no "
                f"bound on its trips)")
    if names.grows(key):
        return (f"{head} at most {STACK_START} {what}, doubled when full (its bound, "
                f"{ast.unparse(tape.capacity)}, counts every trip a while loop's test allows)")
    return f"{head} {ast.unparse(tape.capacity)} {what} (a bound on its pushes)"


def _not_stored(rt, stmts) -> list:
    """Lines for the values undone by an inverse update, or read back from the
    array elements they were stored into."""
    out = []
    undone = {}
    for sid, var in rt.inverted | rt.inverted_carried:
        undone.setdefault(var, []).append(stmts[sid])
    if undone:
        out.append(f"undone, not stored (each update inverted in reverse): "
                   f"{_named(dict(sorted(undone.items())))}")
    back = {}
    for sid, var in sorted(rt.recovered.items(), key=lambda k: k[1]):
        store = stmts[sid]
        why = "(before those are put back)" \
            if (sid, store.targets[0].value.id + "[]") in rt.save_at else \
            "(which the re-run of their loop stores again)" if sid in rt.rerun_stores else \
            "(their first writes: nothing is put back)" if sid in rt.fresh_writes else \
            "(in the fused loop, before the next iteration overwrites them)"
        back.setdefault((store.targets[0].value.id, why), []).append(
            stmts[rt.recovered_site[sid]])
    for (array, why), sites in sorted(back.items()):
        out.append(f"read back, not stored: {_plural(len(sites), 'value')} of "
                   f"{_lines(sites)}, from the elements of '{array}' they are stored into "
                   f"{why}")
    return out


def _kept(rt, names, stmts, loops) -> list:
    """The kept nests (passes/rerun.py ``_keep``) whose rows the reverse sweep reads."""
    out = []
    for loop in loops:
        chosen = rt.rerun.get(id(loop))
        if chosen is None or id(loop) not in rt.kept_loops:
            continue
        kept = sorted(name for nid, kept in chosen.kept.items() for name in kept
                      if names.kept_tape(nid, name) in names.kept_read)
        if kept:
            nests = [stmts[nid] for nid in chosen.kept_nests]
            many = len(nests) > 1
            what = ", ".join(f"'{n}'" for n in kept if not n.startswith("_")) or "temporaries"
            out.append(f"stored as {'the loops' if many else 'the loop'} at {_lines(nests)} "
                       f"{'leave' if many else 'leaves'} them, a row per iteration of "
                       f"{_loop_name(loop)}: {what} (copying them costs less than re-running "
                       f"{'the loops' if many else 'the loop'})")
    return out


def plan_lines(rt, names, fused_loop=None, moved=(), tail=(), companions=()) -> list:
    """The decisions of ``rt`` (a passes/planner.py Planner) as text lines;
    ``names`` (the reverse pass) names the tapes."""
    stmts = {id(s): s for s in walk(rt.fn.body)}
    loops = [s for s in walk(rt.fn.body) if isinstance(s, (ast.For, ast.While))]
    out = _stored(rt, names, stmts, loops)
    if not out:
        out.append("stored: nothing (every value the reverse sweep reads is still live "
                   "when it is read)")
    out += _not_stored(rt, stmts)
    same = {}
    for sid, var in sorted(rt.invariant, key=lambda k: k[1]):
        same.setdefault(var, []).append(stmts[sid])
    if same:
        out.append(f"neither stored nor recomputed (each the same in every iteration of its "
                   f"loops, from values they do not change): {_named(same)}")
    out += _kept(rt, names, stmts, loops)
    fused_lines = set() if fused_loop is None else {
        ir.LINE(s) for s in walk([fused_loop, *companions]) if isinstance(s, ast.For)}
    for loop in loops:
        if ir.LINE(loop) in fused_lines or id(loop) not in names.reversed_loops:
            continue        # (a loop with nothing to reverse: a search, say)
        chosen = rt.recompute.get(id(loop), [])
        # the statements the reverse sweep re-runs: those whose results it reads
        emitted = {id(s) for s in names.recomputation_read(id(loop))}
        values = [s for s in chosen if not isinstance(s, ast.For) and id(s) in emitted]
        kept_nests = rt.rerun[id(loop)].kept_nests if id(loop) in rt.kept_loops else set()
        nests = [s for s in chosen if isinstance(s, ast.For) and id(s) not in kept_nests]
        if values:
            read = {n.id for s in values for n in nodes(s)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            finals = sorted(rt.rerun[id(loop)].finals) if id(loop) in rt.rerun else []
            restored = sorted(rt.rerun[id(loop)].restored & read) if id(loop) in rt.rerun else []
            parts = ["the loop index", "values the loop does not change"]
            if finals:
                parts.append("elements of " + ", ".join(repr(a) for a in finals) +
                             " that no later write changes")
            if restored:
                parts.append(_named(_binders(loop, restored)) +
                             ", set before them in the body and put back")
            settled = sorted(rt.rerun[id(loop)].settled & read) if id(loop) in rt.rerun else []
            if settled:
                parts.append(_named(_binders(loop, settled)) +
                             " at the value the iteration leaves")
            sources = ", ".join(parts[:-1]) + " and " + parts[-1]
            out.append(f"recomputed in each reverse iteration of {_loop_name(loop)}: "
                       f"{_plural(len(values), 'value')} of {_lines(values)} (from {sources})")
        branches = rt.rerun[id(loop)].branches if id(loop) in rt.rerun else {}
        again = [st for test in walk(loop.body) if id(test) in branches   # (nested ifs too)
                 for st in branches[id(test)] if st.targets[0].id in names.reads]
        if again:
            out.append(f"recomputed where the reverse of their branch starts, in "
                       f"{_loop_name(loop)}: {_plural(len(again), 'value')} of "
                       f"{_lines(again)} (from the loop index, values the loop does not "
                       f"change and values the body sets before the branch)")
        late = {k: v for k, v in rt.rerun[id(loop)].late.items() if k not in kept_nests} \
            if id(loop) in rt.rerun else {}
        first = [n for n in nests if id(n) not in late and id(n) in emitted]
        nests = [n for n in nests if id(n) not in late or names.rerun_outputs(
            rt.rerun[id(loop)], n) & (names.reads | rt.needed)]
        if first:
            out.append(f"re-run at the start of each reverse iteration of {_loop_name(loop)}: "
                       + ", ".join(_rerun_nest(rt, loop, n) for n in first)
                       + " (instead of storing what they overwrite)")
        for n in nests:
            if id(n) in late:
                reader = loop.body[late[id(n)]]
                what = _loop_name(reader) if isinstance(reader, ast.For) else _lines([reader])
                out.append(f"re-run in each reverse iteration of {_loop_name(loop)}, just before "
                           f"the reverse of {what} (once the statements after it have "
                           f"restored what it reads): {_rerun_nest(rt, loop, n)} (instead of "
                           f"storing what it overwrites)")
    if fused_loop is not None:
        out.append(f"fused: {_loop_name(fused_loop)} runs each reverse iteration right after "
                   f"its forward one (its reverse iterations do not depend on one another)")
        for inner in walk([fused_loop, *companions]):
            if id(inner) in names.inner_fused:
                out.append(f"fused inside it: {_loop_name(inner)}, the last loop of its "
                           f"body (its reverse iterations do not depend on one another "
                           f"either)")
        if moved:
            where = _lines(moved)
            many = where.startswith("lines")
            out.append(f"moved: {where} {'run' if many else 'runs'} before "
                       f"{_loop_name(fused_loop)} ({'they do' if many else 'it does'} not "
                       f"depend on it, nor it on {'them' if many else 'it'}), so that it "
                       f"runs last")
        for loop in companions:
            out.append(f"fused too: {_loop_name(loop)}, run just before it (the statements "
                       f"between them do not depend on it, nor it on them; the reverse of "
                       f"{_lines(tail) if tail else 'the return'} gives its seeds)")
        if tail:
            out.append(f"seeds first: the reverse of {_lines(tail)} runs before "
                       f"{_loop_name(fused_loop)} (it reads none of the values the loop "
                       f"computes), {_lines(tail)} after it")
    for loop in loops:
        if id(loop) in rt.checkpointed:
            out.append(f"checkpointed: {_loop_name(loop)} (a snapshot of its state every "
                       f"segment; each segment re-run with its tape in reverse)")
    return out
