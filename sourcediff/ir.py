"""The intermediate form the passes exchange: normalized Python AST plus facts.

The passes work on Python ``ast`` trees in *normalized* form (see
``passes/normalize.py``: one primitive application per statement, jumps
lowered, every statement tagged with its user line). What one pass learns
and another pass needs is a *fact* on a node. Every fact is declared here,
once, with who writes it and who reads it; passes read and write facts only
through these declarations, never through attribute names of their own
(``tests/core/test_ir.py`` checks that no ``sd_`` attribute is touched
outside this module). A fact nobody reads is not written.

Usage::

    ir.LINE(stmt)              # the fact, or its default when absent
    ir.PRIM(expr, ("",))       # ... or this default when absent
    ir.LINE.set(stmt, 12)      # write it
    ir.tag(stmt, 12, ir.Kind.ASSIGN)

Statement kinds are :class:`Kind` (a ``str`` enum, so a kind also compares
equal to its name). A primitive application on an expression node is a
``prim`` key: ``("binop", "Add")``, ``("unary", "USub")``, ``("call", key)``,
``("compare", op)``, ``("const",)``, ``("copy",)``, ``("subscript",)``, ...
(written by ``normalize``, read by type inference and the transforms to look
up the rule in ``rules.registry``).
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """What a normalized statement does; chosen by ``normalize`` (and by the
    passes that insert statements)."""
    ASSIGN = "assign"             # name = primitive(atoms)
    ACCUMULATE = "accumulate"     # name += atom (scalar or array, see ARRAY)
    UNPACK = "unpack"             # a, b = tuple-valued primitive
    STORE = "store"               # x[i] = atom
    AUGSTORE = "augstore"         # x[i] += atom
    IF = "if"                     # if name: ... else: ...
    FOR = "for"                   # for i in range(...): ... (normalized loop)
    WHILE = "while"               # while True: ... (exits lowered to flags and breaks)
    JUMP = "jump"                 # break (lowered loop exits)
    RETURN = "return"             # return atom
    PUSH = "push"                 # tape.append(...) in generated code transformed again

    def __str__(self):
        return self.value


_ABSENT = object()


class InlinedLine(int):
    """The :data:`LINE` of a statement inlined from a helper function
    (``passes/inline.py``).

    As an ``int`` it is the caller's line of the call, so errors, tape plans and
    reports point at the call the user wrote; ``quote`` is the helper's own line
    the statement comes from (``"sigmoid:33  return 1.0 / (1.0 + math.exp(-v))"``,
    with its line in the helper's file) and ``via`` the call sites it was inlined
    through, innermost first (``("cell_update:39", "lstm_helpers:57")``): the
    emitted comment quotes both.
    """

    def __new__(cls, line, quote: str = "", via: tuple = ()):
        self = super().__new__(cls, line)
        self.quote = quote
        self.via = tuple(via)
        return self

    def __reduce__(self):
        return InlinedLine, (int(self), self.quote, self.via)

    def comment(self) -> str:
        return f"# {self.quote}  (inlined at {', '.join(self.via)})"


def same_line(a, b) -> bool:
    """Two LINE values denote the same place (an inlined line also by its quote)."""
    return a == b and getattr(a, "quote", None) == getattr(b, "quote", None) and \
        getattr(a, "via", None) == getattr(b, "via", None)


@dataclass(frozen=True)
class TapeOp:
    """The value of the :data:`TAPE` fact: what a statement does with a tape.

    ``role`` is one of

    * ``"list"``: ``X = []``, a tape that grows (top level, before the forward sweep);
    * ``"push"``: ``X.append(v)``, or ``X[X_top] = v`` on a stack (followed by
      ``X_top += 1``); ``item`` is the type (``passes.types.T``) of the value
      pushed, None when it is not known;
    * ``"pop"``: ``v = X.pop()`` (or ``a[i] = X.pop()``), or ``v = X[X_top]`` on a
      stack (after ``X_top -= 1``);
    * ``"array"``: ``X = np.empty(size, dtype)``, a tape with at least one slot
      per saved value, whose number (or a bound on it) is known before the
      values are saved (a loop's trip count, a loop nest's element saves, the
      pushes onto a stack); ``item`` is the NumPy dtype. Its slots are written
      ``X[k] = v`` and read ``v = X[k]`` (``k`` a stack's top counter ``X_top``,
      set to 0 right after the allocation);
    * ``"rows"``: ``X = np.empty((size, n, ...), dtype)``, a stack of arrays of one
      shape (a slot per push, each a row of that shape); pushed ``X[X_top] = v``
      (a copy) and popped ``v = X[X_top]`` like a stack of numbers.
    """
    role: str
    tape: str          # the tape's variable name
    item: object = None


@dataclass(frozen=True)
class Fact:
    """One fact the passes exchange: stored on AST nodes of kind ``on``."""
    name: str          # attribute suffix (stored as ``sd_<name>``)
    on: str            # which nodes carry it
    writers: str       # the modules that write it (file names, sorted; test_ir checks)
    readers: str       # the modules that read it (likewise)
    doc: str
    default: object = None
    convert: object = None     # applied to a value written (not to None)

    @property
    def attr(self) -> str:
        return "sd_" + self.name

    def __call__(self, node, default=_ABSENT):
        """The fact on ``node``; when absent, ``default`` if given, else the
        declared default (a fact written as None reads None)."""
        return getattr(node, self.attr, self.default if default is _ABSENT else default)

    def set(self, node, value):
        if self.convert is not None and value is not None:
            value = self.convert(value)
        setattr(node, self.attr, value)
        return node

    def has(self, node) -> bool:
        return hasattr(node, self.attr)


# -- statements ------------------------------------------------------------
LINE = Fact("line", "statement, function",
            "array_loops, ascending, astutil, axis_gathers, components, differences, forward, hoist_adjoints, "
            "index_names, int_arrays, "
            "invariant_sums, invariant_transposes, kept_rows, kernel, layouts, lower, masks, normalize, outer_products, partial_sums, "
            "placeholders, rebound_params, reverse, "
            "rolling_sums, running_best, scalars, selects, single_constants, slice_dots, small_arrays, "
            "split_adds, stack_tops, tables, tuples, unroll, view_adjoints, webs",
            "array_loops, ascending, axis_gathers, components, differences, emit, errors, forward, "
            "hoist_adjoints, "
            "index_names, int_arrays, "
            "invariant_sums, invariant_transposes, kernel, layouts, lower, masks, normalize, outer_products, partial_sums, "
            "placeholders, plan_report, "
            "planner, rebound_params, reverse, rolling_sums, running_best, scalars, selects, "
            "single_constants, slice_dots, "
            "small_arrays, split_adds, stack_tops, tables, tuples, unroll, view_adjoints, webs",
            "The user's source line the statement comes from (1-based, in the file); "
            "emitted as the comment that links generated code to the user's code "
            "(an InlinedLine for a statement inlined from a helper). "
            "Written by tag() and by astutil's statement builders.")
KIND = Fact("kind", "statement", "axis_gathers, components, differences, index_names, int_arrays, "
                                 "invariant_sums, invariant_transposes, "
                                 "layouts, lower, masks, normalize, outer_products, partial_sums, "
                                 "placeholders, rebound_params, reverse, rolling_sums, running_best, "
                                 "scalars, selects, "
                                 "single_constants, "
                                 "slice_dots, small_arrays, split_adds, stack_tops, tables, tuples, "
                                 "webs",
            "activity, axis_gathers, buffers, components, cse, dependence, differences, emit, forward, "
            "fresh_arrays, "
            "hoist, index_names, int_arrays, layouts, lower, masks, outer_products, planner, program, "
            "rerun, reverse, running_best, "
            "scalars, shapes, sites, slice_dots, small_arrays, tables, tape, tuples, typeinfer, "
            "versions, views, webs",
            "The statement's Kind (written by tag(); a string written is converted).",
            convert=Kind)
COUNT = Fact("count", "loop", "normalize", "dependence, forward, planner, reverse, tables, tape, webs",
             "Name of the counter of a loop's trips, for a loop whose trip count is "
             "not known before it runs (a while loop, a for loop left by break); "
             "None for a counted for loop. Written by jump lowering.")
TRIP_LIMIT = Fact("trip_limit", "while loop", "normalize", "planner",
                  "(counter, limit, inclusive, step) of a while loop that runs another "
                  "iteration only while ``counter < limit`` (``<=`` when inclusive) holds "
                  "(its test, or an exit ``if counter >= limit: break`` of the body, "
                  "then inclusive), "
                  "its body adding the positive int ``step`` to ``counter`` once per "
                  "iteration and writing neither ``counter`` elsewhere nor a name of "
                  "``limit`` (the user's names, as the loop's test reads them; no "
                  "``continue``). Read by the tape planner for a bound on the trips.")
CONTROL_ONLY = Fact("control_only", "if", "normalize", "normalize, reverse",
                    "An if generated by jump lowering that only guards the rest of an "
                    "iteration: no branch of it to replay in reverse.", False)
ITERATES = Fact("iterates", "for", "normalize, tuples", "tuples, typeinfer, webs",
                "[(sequence name, its source expression)] of a ``for v in seq`` (or enumerate / "
                "zip / reversed of sequences) lowered to an index loop; type inference "
                "checks each sequence is a tuple or an array. Split tuples leave the list.")
ARRAY = Fact("array", "accumulate statement", "reverse, typeinfer",
             "emit, forward, invariant_sums, partial_sums, planner, rerun, reverse, rolling_sums, "
             "split_adds, tables, view_adjoints",
             "The accumulation target is an array (``a += b`` updates in place); on an "
             "adjoint's ``dx[i, :] += g``, a view of ``dx`` (emitted as ``add_into``).", False)
INTO_VIEW = Fact("into_view", "store, augmented store", "reverse, typeinfer", "emit",
                 "``a[i] += v`` (``-=``, ``=``) of an array ``v`` into a view of ``a`` (basic "
                 "indices): printed as the ``add_into`` / ``sub_into`` / ``copy_into`` helper, "
                 "an in-place update of the view (Numba compiles the store back into ``a`` as a slice "
                 "assignment whose error formatting takes about 2.5 s).", False)
STACK_ROW = Fact("stack_row", "store target", "normalize", "typeinfer",
                 "``t[k] = v`` filling row ``k`` of the array ``np.array([a, b])`` or "
                 "``np.stack`` makes: ``v`` must have the shape of a row (NumPy raises for "
                 "arrays and numbers mixed; a store would broadcast the number).", False)
COUNTS_FROM = Fact("counts_from", "reverse loop", "reverse", "ascending",
                   "{counter: expression} of a reverse loop nest that undoes the counter's "
                   "updates step by step (``entry -= 1``) from the value the forward nest "
                   "left: the value the counter had where the forward nest started, an "
                   "expression of names the enclosing loop does not change. With it the "
                   "nest may count up, the counter forwards from there.")
PROLOGUE = Fact("prologue", "statement", "tuples", "tuples",
                "An assignment inserted at the top of the body to unpack a tuple "
                "parameter into its elements (scalarize_tuple_params marks it, "
                "split_tuple_locals leaves it alone).", False)
NOTE = Fact("note", "statement", "array_loops, kept_rows, peel_ends, restore_loops, reverse, "
                                 "sink, "
                                 "split_adds, stack_tops, tables",
            "emit",
            "Why the transform wrote this statement: emitted as a comment above it.")
SECTION = Fact("section", "statement of an adjoint",
               "hoist_adjoints, partial_sums, reverse, rolling_sums, selects, split_adds",
               "emit, hoist_adjoints, kernel, partial_sums, rolling_sums, selects, split_adds",
               "Which part of the adjoint the statement belongs to (setup, forward, "
               "init, fused, value, reverse, result): emitted as section headers.")

# -- expressions -----------------------------------------------------------
PRIM = Fact("prim", "expression", "axis_gathers, components, differences, hoist, index_names, int_arrays, "
                                  "layouts, lower, "
                                  "masks, "
                                  "normalize, numba_calls, outer_products, placeholders, "
                                  "rebound_params, running_best, scalars, "
                                  "single_constants, slice_dots, small_arrays, tables, tuples, webs",
            "activity, astutil, buffers, components, cse, differences, forward, fresh_arrays, hoist, "
            "int_arrays, "
            "layouts, "
            "lower, normalize, numba_calls, outer_products, planner, program, rerun, "
            "reverse, rulecall, running_best, scalars, shapes, single_constants, slice_dots, "
            "small_arrays, tables, "
            "tuples, typeinfer, views",
            "The primitive an expression applies (a key tuple, see the module doc; "
            "written by mark()).")
INPLACE = Fact("inplace", "call of a user function", "normalize",
               "buffers, forward, reverse, small_arrays, tables, typeinfer",
               "Positions of the array arguments the callee writes into.")
AUGMENTED = Fact("augmented", "binop", "normalize, webs",
                 "buffers, forward, hoist, lower, normalize, rebound_params, shapes, small_arrays, "
                 "webs",
                 "The operation comes from an augmented assignment (``x += y``).", False)
NONNEG = Fact("nonneg", "index expression", "normalize", "tuples",
              "The index is known to be non-negative (a loop index over a range "
              "starting at 0).", False)
DETACHED = Fact("detached", "copy expression", "running_best", "activity",
                "The copy carries no derivative (a running best's search copy: its "
                "value only decides tests).", False)
STATIC_PARAM = Fact("static_param", "constant", "static_args", "normalize",
                    "The parameter whose string or None value the constant stands for "
                    "(the transform specialized on it): named when the value is used "
                    "where a string or None cannot be.")

# -- functions -------------------------------------------------------------
GENERATED = Fact("generated", "function", "normalize", "buffers, forward, webs",
                 "The function is generated code (an adjoint differentiated again): "
                 "its array ``+=`` are in place.", False)
TUPLE_PARAMS = Fact("tuple_params", "function", "program", "reverse, tuples",
                    "Tuple parameters scalarized (by tuples.scalarize_tuple_params): "
                    "parameter -> its element names.")
TUPLE_ELEMENTS = Fact("tuple_elements", "function", "tuples", "tuples, views",
                      "Names of the elements of split tuple locals -> how the user wrote "
                      "them (``t_0`` -> ``t[0]``), for messages.")
TUPLE_WHOLE = Fact("tuple_whole", "function", "tuples", "reverse",
                   "Tuple parameters still used as a whole somewhere.")
REVERSE = Fact("reverse", "adjoint function", "reverse", "emit",
               "The statements of the reverse sweep (emit titles its sections).")
PLAN = Fact("plan", "adjoint function", "kernel, reverse", "emit",
            "The tape plan as text lines: what is stored, recomputed, undone, fused, "
            "checkpointed, and why; printed as a comment block at the top of the adjoint.")

# -- generated statements ----------------------------------------------------
TAPE = Fact("tape", "statement of an adjoint", "kept_rows, kernel, reverse",
            "array_loops, kept_rows, kernel, program, reverse, stack_tops",
            "The statement is an operation on a tape (values the forward sweep saves "
            "for the reverse sweep): a :class:`TapeOp` naming the tape and saying what "
            "the statement does with it. Kernel lowering turns the tapes it names into "
            "preallocated arrays; the reverse pass fuses no loop whose iterations "
            "push or pop, and moves no statement into a branch past one; a "
            "statement without it is never a tape operation, "
            "whatever it looks like.")
ADJOINT_INIT = Fact("adjoint_init", "assignment of an adjoint", "reverse",
                    "array_loops, hoist_adjoints, kernel",
                    "The statement sets the adjoint buffer of an array variable to zeros "
                    "(``dx = np.zeros_like(x)``); the value is the buffer's name. Kernel "
                    "lowering writes such a buffer straight into the gradient's output "
                    "row.")
COMMENTS = Fact("comments", "statement of an emitted function", "emit, kernel",
                "emit, kernel",
                "The comment lines printed above the statement (the quoted user line, "
                "a note, a section title), fixed when the function was emitted. A "
                "function rewritten after emission (kernel lowering) is printed with "
                "these instead of comments derived from LINE, NOTE and SECTION; a "
                "rewrite moves them to the statements that replace this one.")

FACTS = [LINE, KIND, COUNT, TRIP_LIMIT, CONTROL_ONLY, ITERATES, ARRAY, INTO_VIEW, STACK_ROW,
         COUNTS_FROM, PROLOGUE, NOTE, SECTION,
         PRIM, INPLACE, AUGMENTED, NONNEG, DETACHED, STATIC_PARAM, GENERATED, TUPLE_PARAMS, TUPLE_ELEMENTS,
         TUPLE_WHOLE, REVERSE,
         PLAN,
         TAPE, ADJOINT_INIT, COMMENTS]


def tag(stmt, line, kind: Kind | str = Kind.ASSIGN):
    """Give a new statement its user line and kind; returns it."""
    LINE.set(stmt, line)
    KIND.set(stmt, kind)
    return stmt


def mark(expr, prim: tuple):
    """Record the primitive an expression applies; returns it."""
    PRIM.set(expr, prim)
    return expr


def copy_facts(src, dst):
    """Carry every fact of ``src`` over to ``dst`` (a rewritten node)."""
    for fact in FACTS:
        if fact.has(src):
            fact.set(dst, fact(src))
    return dst


# -- copies ------------------------------------------------------------------
_ATOMS = (str, int, float, complex, bool, bytes, type(None))


def clone(node):
    """A deep copy of an AST (``copy.deepcopy``'s result, facts included), made
    several times faster: nodes and lists are copied directly, the rare fact
    value of another type by ``copy.deepcopy`` (sharing the same memo, so a node
    met twice is copied once, as deepcopy does)."""
    return _clone(node, {})


def _clone(x, memo):
    if isinstance(x, _ATOMS):
        return x
    if isinstance(x, ast.AST):
        new = memo.get(id(x))
        if new is None:
            new = memo[id(x)] = x.__class__.__new__(x.__class__)
            target = new.__dict__
            for name, value in x.__dict__.items():
                target[name] = value if isinstance(value, _ATOMS) else _clone(value, memo)
        return new
    if type(x) is list:
        return [_clone(v, memo) for v in x]
    return copy.deepcopy(x, memo)
