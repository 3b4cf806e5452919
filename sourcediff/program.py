"""Build the generated module for one function and one signature.

A :class:`Program` runs the passes on the root function and, on demand, on
every user function it calls (their primal copy and their own adjoint, so an
adjoint calls the callee's adjoint instead of inlining it), then emits one
module holding them all.
"""
from __future__ import annotations

import ast

import numpy as np

from . import ir
from .emit import emit_function, emitted, module_source
from .errors import TransformError
from .frontend.source import get_source
from .names import Namer
from .passes.argument_values import incoming_values_unread
from .passes.astutil import free_names, nodes, stored_names
from .passes.axis_gathers import read_axis_gathers
from .passes.buffers import number_update_message
from .passes.components import split_coordinates
from .passes.counted_whiles import count_whiles
from .passes.cse import eliminate_common_subexpressions
from .passes.differences import differences_as_slices
from .passes.ellipsis import expand_ellipses
from .passes.first_stores import store_first_writes
from .passes.forward_copies import forward_copies
from .passes.hoist import hoist_shape_reads
from .passes.index_names import expand_tuple_index, name_index_array, read_whole
from .passes.inline import inline_calls
from .passes.int_arrays import (
    float_bindings_of_integer_arrays,
    float_copies_of_integer_arrays,
    float_operands_of_products,
    integer_item_arrays,
)
from .passes.layouts import copy_transposes_into_rebound_names
from .passes.local_functions import lift_local_functions
from .passes.lower import lower_array_temporaries
from .passes.masks import flatten_masks
from .passes.normalize import normalize, updated_params
from .passes.numba_calls import lower_for_numba
from .passes.outer_products import outer_products_as_broadcasts
from .passes.own_names import drop_dead_stores, split_loop_locals, unshared
from .passes.parallel_loops import prange_source
from .passes.placeholders import bind_placeholders
from .passes.rebound_params import local_names_for_rebound_parameters
from .passes.reverse import ReverseTransformer
from .passes.running_best import keep_winners
from .passes.scalars import scalar_numpy_calls
from .passes.selects import number_kind, select_branches
from .passes.shapes import parameter_axes
from .passes.single_constants import single_constants
from .passes.slice_dots import reduce_slice_dots
from .passes.small_arrays import scalarize_small_arrays
from .passes.static_args import bind_static_args
from .passes.tables import tabulate_invariants
from .passes.tuples import scalarize_tuple_params, split_tuple_locals
from .passes.typeinfer import infer_types, value_type
from .passes.unroll import known_row_loops, unroll_short_loops
from .passes.versions import version_variable
from .passes.webs import (
    split_array_versions,
    split_carried_versions,
    split_loop_versions,
    split_webs,
)
from .passes.wrap_indices import wrap_periodic_indices
from .runtime.declare import helper_names


def _has_tapes(fn) -> bool:
    """``fn`` (generated code) keeps a tape: a list pushed on, or a stack grown
    (``room_for``). Forward mode handles them; reverse mode not yet."""
    return any(ir.KIND(s) == ir.Kind.PUSH or isinstance(s, ast.Call) and
               getattr(s.func, "id", None) == "room_for" for s in nodes(fn))


class Program:
    def __init__(self, func, arg_types: list):
        self.root = get_source(func)
        self.arg_types = list(arg_types)
        self.functions: dict[str, str] = {}      # emitted name -> source
        # emitted name -> the function as its source reads (emit.emitted), for
        # passes that rewrite generated code (batched lowering); primals and adjoints
        self.trees: dict[str, ast.FunctionDef] = {}
        self.order: list[str] = []
        self.injected: dict = {}
        self._primal: dict = {}                   # (func, types) -> (name, normalized, env, ret)
        self._vjp: dict = {}
        self._stack: list = []
        self.tabulate = True                      # passes/tables.py (off for CUDA kernels)
        self.scratch = True                       # split_adds' rows (off for CUDA kernels)
        # asserts kept as checks (off in CUDA kernels and parallel loops: no exception
        # raised there reaches the caller)
        self.checks = True
        # costly values (exp) of any loop stored rather than recomputed in reverse
        # (off for batches: their tapes have per-element capacities, see batched.py)
        self.store_costly = True
        # stacks sized by a while loop's bound grow from small (off for batches: the
        # driver allocates their tapes)
        self.growable_stacks = True
        self.user_rules: dict = {}
        self.checkpoint = None                    # grad(..., checkpoint=) for the root
        # the root's primal alone (a plain call of an @sd.function) may be a
        # helper that only writes into its argument arrays
        self.void_root = False

    # -- per function ----------------------------------------------------
    def analyze(self, func, arg_types, inplace=None):
        src = get_source(func)
        key = (src.func, tuple(arg_types), inplace)
        if key in self._primal:
            return self._primal[key]
        # small arguments whose shape the transform specialized on (part of
        # ``key``): typed as any array, their shapes go to small_arrays
        param_shapes = {p: t.shape for p, t in zip(src.params, arg_types) if t.shape}
        # and the arguments' axes of one length (for the element loops of ``lower``)
        same_axes = parameter_axes(src.params, arg_types)
        # rows of a length the compiled code is specialized on (backends/row_lengths.py)
        row_lengths = {p: (t.ndim, t.row_length) for p, t in zip(src.params, arg_types)
                       if t.row_length is not None}
        arg_types = [t.unspecialized() for t in arg_types]
        if src.func in self._stack:
            raise TransformError(f"recursive call of '{src.name}' cannot be differentiated",
                                 src.info.filename, src.info.line_offset + 1, 0,
                                 src.info.lines[0] if src.info.lines else "")
        params = src.params
        if len(arg_types) != len(params):
            raise TransformError(f"'{src.name}' takes {len(params)} arguments, "
                                 f"called with {len(arg_types)}", src.info.filename,
                                 src.info.line_offset + 1, 0, src.info.lines[0])
        for k in inplace or ():
            update = updated_params(src).get(params[k])
            if update is not None and not arg_types[k].is_array:
                raise src.info.error(update, number_update_message(src.name, params[k],
                                                                   update.op))
        self._stack.append(src.func)
        try:
            # small helpers it calls become part of it (their calls otherwise
            # get a primal and an adjoint of their own, below)
            void_ok = self.void_root and src.func is self.root.func
            # strings and None arguments in place of their reads, the branches of
            # the ifs on them that their values take
            src = bind_static_args(src, {p: t.value for p, t in zip(params, arg_types)
                                         if t.kind == "static"},
                                   [p for p, t in zip(params, arg_types) if t.kind != "static"])
            # (local functions lifted out first: helpers like the others, inlined alike)
            src = inline_calls(lift_local_functions(src))
            # while loops that count to a limit as the for loops they are
            src = count_whiles(src, [p for p, t in zip(params, arg_types)
                                     if number_kind(t) == "int"])
            fn, norm = normalize(src, inplace, void_ok=void_ok, checks=self.checks)
            # loops over a few coordinates written out (before webs: a name per copy)
            unroll_short_loops(fn, norm.used_names)
            split_webs(fn, norm.used_names)
            ir.TUPLE_PARAMS.set(fn, scalarize_tuple_params(fn, dict(zip(params, arg_types)),
                                                           set(norm.used_names)))
            self.injected.update(norm.globals_used)
            env, ret = self.infer_with_versions(fn, params, arg_types, src, norm)
            # an array parameter a loop binds again (``u = u + dt * f(u)``): stepped in
            # a copy of its own, as ``u = u0.copy()`` is
            if local_names_for_rebound_parameters(fn, env, norm.used_names,
                                                  [params[k] for k in inplace or ()]):
                env, ret = self.infer_with_versions(fn, params, arg_types, src, norm)
            # (a parameter still bound again keeps its array: its shape is not a state's)
            param_shapes = {p: shape for p, shape in param_shapes.items()
                            if p not in stored_names(fn)}
            # a number a loop reads from an earlier iteration before binding it
            # (``prev``), bound nowhere before the loop: a placeholder for Numba
            if bind_placeholders(fn, env):
                env, ret = self.infer_with_versions(fn, params, arg_types, src, norm)
            # small arrays of a fixed shape (2x2 matrices, 3-vectors) become one
            # scalar per element
            if scalarize_small_arrays(fn, env, norm.used_names, param_shapes, row_lengths):
                env, ret = self.infer_with_versions(fn, params, arg_types, src, norm)
            # rewrites that need types: tuple-valued locals read element-wise get
            # one variable per element (a round per level of nesting), NumPy
            # calls on scalars become scalar code, reads through n-d boolean masks
            # reads of the flattened arrays, array temporaries in loops element
            # loops; then the new names' types
            # a value computed again from the same values: read where it was first
            if eliminate_common_subexpressions(fn, env):
                env, ret = self.infer_with_versions(fn, params, arg_types, src, norm)
            for _ in range(8):
                if not self.rewrite_round(fn, env, src, norm, same_axes, row_lengths):
                    break
                env, ret = self.infer_with_versions(fn, params, arg_types, src, norm)
            # a running best (``if v > best: best = v``) found by its index, its value
            # read again after the loop
            if keep_winners(fn, env, norm.used_names):
                env, ret = self.infer_with_versions(fn, params, arg_types, src, norm)
            # float constants beside float32 values: float32, as NumPy computes them
            if single_constants(fn, env, norm.used_names):
                env, ret = self.infer_with_versions(fn, params, arg_types, src, norm)
            # sizes a loop reads from arrays it never rebinds: read before it
            hoist_shape_reads(fn, env)
            # costly values an inner loop recomputes for every outer iteration:
            # computed once into a table (not in CUDA kernels: no allocation there)
            if self.tabulate and tabulate_invariants(fn, env, norm.used_names):
                env, ret = self.infer_with_versions(fn, params, arg_types, src, norm)
        finally:
            self._stack.pop()
        name = self.unique_name(src.name + ("_written" if inplace else ""), arg_types,
                                self._primal)
        entry = (name, fn, env, ret, src)
        self._primal[key] = entry
        self.add_primal(entry)
        return entry

    def rewrite_round(self, fn, env, src, norm, same_axes, row_lengths) -> bool:
        """One round of the rewrites that need types (see ``analyze``); whether
        any changed ``fn`` (its types are then inferred again)."""
        split = expand_ellipses(fn, env)
        split = read_axis_gathers(fn, env, norm.used_names) or split
        split = split_tuple_locals(fn, env, norm.used_names, src.info.error) or split
        split = integer_item_arrays(fn, env, norm.used_names) or split
        split = float_copies_of_integer_arrays(fn, env, norm.used_names) or split
        split = copy_transposes_into_rebound_names(fn, env, norm.used_names) or split
        split = float_bindings_of_integer_arrays(
            fn, env, norm.used_names,
            value_type(fn, env, src.info, self.callee_return, norm.globals_used)) or split
        split = float_operands_of_products(fn, env, norm.used_names) or split
        scalars = scalar_numpy_calls(fn, env)
        scalars = flatten_masks(fn, env, norm.used_names) or scalars
        versions = split_loop_versions(fn, env, norm.used_names)
        versions = split_array_versions(fn, env, norm.used_names) or versions
        versions = split_carried_versions(fn, env, norm.used_names) or versions
        if versions:
            return True     # (the new names' types first: the passes below read them)
        # coordinate axes of a known length (``np.sum(d * d, axis=2)``, ``s[:, :, None]``):
        # one array per coordinate, which the element loops below then take
        if split_coordinates(fn, env, norm.used_names, row_lengths, same_axes):
            return True
        # a vector's outer product or first difference in a loop as a broadcast
        # product or a difference of slices, which the element loops below read
        # element by element (types inferred first)
        if outer_products_as_broadcasts(fn, env, norm.used_names) | \
                differences_as_slices(fn, env, norm.used_names):
            return True
        # dot products of slices of varying length (np.dot(L[i, :j], L[j, :j])): loops
        dots = reduce_slice_dots(fn, env, norm.used_names)
        lowered = lower_array_temporaries(fn, env, norm.used_names, same_axes, row_lengths)
        # the element loops over a row of a known length (``d = X[i + 1] - X[i]``)
        # written out like a loop over its coordinates
        rows = known_row_loops(fn, row_lengths) and unroll_short_loops(fn, norm.used_names)
        return bool(split or scalars or versions or dots or lowered or rows)

    def infer_with_versions(self, fn, params, arg_types, src, norm):
        """Type inference; a variable rebound to another type (``x = np.sum(x)``)
        gets versions (passes/versions.py) and inference runs again."""
        versioned = set()
        while True:
            try:
                return infer_types(fn, dict(zip(params, arg_types)), src.info,
                                   self.callee_return, norm.globals_used)
            except TransformError as exc:
                if exc.index_array is not None and (
                        expand_tuple_index(fn, exc.index_array, exc.tuple_length)
                        if exc.tuple_length else
                        name_index_array(fn, exc.index_array, norm.used_names)):
                    continue
                if exc.indexed_number in norm.per_item_values and \
                        read_whole(fn, exc.indexed_number):     # np.add.at(y, idx, c), c a number
                    continue
                var = exc.variable
                if var is None or var in versioned or not version_variable(fn, var):
                    raise
                versioned.add(var)

    def unique_name(self, base, arg_types, table):
        taken = {e[0] for e in table.values()} | helper_names() | {"np", "math"}
        return Namer(taken, sep="_").fresh(base)      # f, f_2, f_3, ...

    def callee_return(self, func, arg_types, inplace=None) -> tuple:
        entry = self.analyze(func, arg_types, inplace)
        return entry[3], entry[0]

    def add_primal(self, entry):
        name, fn, env, _ret, src = entry
        prim = ast.FunctionDef(name=name, args=fn.args, body=[], decorator_list=[],
                               returns=None, type_comment=None, type_params=[])
        prim.body = [_lower(s, env) for s in fn.body]
        prim.body, = select_branches([prim.body], [a.arg for a in fn.args.args],
                                     lambda v: number_kind(env.get(v)))
        prim = wrap_periodic_indices(prim, *_int_params(fn, env))
        self.functions[name], self.trees[name] = emitted(
            prim, src.info, f"Primal of '{src.name}' (normalized).")
        self.order.append(name)

    def adjoint(self, func, arg_types, wrt, mode, fname=None, inplace=None):
        name, fn, env, _ret, src = self.analyze(func, arg_types, inplace)
        key = (src.func, tuple(arg_types), tuple(wrt), mode, inplace)
        if key in self._vjp:
            return self._vjp[key]
        fname = fname or f"{name}_{'grad' if mode == 'grad' else 'vjp'}"
        if _has_tapes(fn):
            raise TransformError(f"reverse mode cannot differentiate the tapes of generated "
                                 f"code ('{src.name}'); use forward mode (sd.jvp) over it",
                                 src.info.filename, src.info.line_offset + 1, 0,
                                 src.info.lines[0] if src.info.lines else "")
        checkpoint = getattr(src.func, "__sourcediff_checkpoint__", None)
        if src.func is self.root.func and self.checkpoint is not None:
            checkpoint = self.checkpoint
        # array arguments of one shape in this call (part of ``arg_types``)
        same_shape = {src.params[k]: src.params[t.same_shape_as]
                      for k, t in enumerate(arg_types) if t.same_shape_as is not None}
        # and axes of one length: (parameter, axis) -> (an earlier one, its axis)
        same_shape.update({(src.params[k], a): (src.params[at[0]], at[1])
                           for k, t in enumerate(arg_types) if t.axes_as is not None
                           for a, at in enumerate(t.axes_as) if at is not None})

        # and the shapes of small arguments the transform specialized on
        param_shapes = {src.params[k]: t.shape for k, t in enumerate(arg_types) if t.shape}
        # the axes of one length, as shapes.axis_lengths takes them
        same_axes = parameter_axes(src.params, arg_types)
        # and the last axes of a length the compiled code is specialized on
        rows = {p: (t.ndim, t.row_length) for p, t in zip(src.params, arg_types)
                if t.row_length is not None}

        def build(prefer_store=frozenset(), stored_reads=frozenset()):
            rt = ReverseTransformer(fn, env, wrt, mode, set(self.functions),
                                    callee_adjoint=self.callee_adjoint, error=src.info.error,
                                    checkpoint=checkpoint, prefer_store=prefer_store,
                                    same_shape=same_shape, param_shapes=param_shapes,
                                    same_axes=same_axes, scratch=self.scratch,
                                    stored_reads=stored_reads, growable=self.growable_stacks,
                                    rows=rows)
            return rt, rt.run(fname)

        try:
            rt, adj = build()
            # storing a loop's costly values (exp, log) costs less than computing
            # them again in reverse; kept when the loops fuse as before and no
            # value goes to a list instead
            # (an inner loop whose bound is unknown before it runs: an append
            # and a pop cost more than the exp)
            prefer = rt.costly_recomputed(every_loop=self.store_costly)
            if prefer:
                rt2, adj2 = build(prefer)
                if rt2.plan.per_iteration == rt.plan.per_iteration and \
                        _list_pushes(adj2) <= _list_pushes(adj):
                    rt, adj = rt2, adj2
            # an array whose elements loops overwrite is put back element by
            # element for what the reverse sweep computes from it; storing
            # those values instead (where the reverse reads them) moves less
            # when the array is written more often than read (an accumulation
            # ``g[j] += ...`` read once per outer step: 10.1 -> 4.3 ms in a
            # leapfrog integrator): built both ways, the stored reads are kept
            # when their tapes move at most half as much.  (A stencil's three
            # reads of a level give one value the reverse needs: half the
            # traffic of the level's save and put-back, which run as streaming
            # loops of their own; the heat equation's gradient 0.55 -> 0.33 ms
            # swapping buffers, 0.72 -> 0.60 ms copying back, once LLVM's
            # overlap checks stay inside the time loop: backends/loop_checks.py.)
            arrays = rt.element_saved_arrays() if STORED_READS else frozenset()
            if arrays and checkpoint is None:
                rt3, adj3 = build(rt.plan.prefer_store, arrays)
                if 2 * rt3.tape_traffic(adj3) <= rt.tape_traffic(adj) and \
                        _list_pushes(adj3) <= _list_pushes(adj) and \
                        rt3.plan.per_iteration == rt.plan.per_iteration:
                    rt, adj = rt3, adj3
        except NotImplementedError as exc:
            raise TransformError(str(exc), src.info.filename, src.info.line_offset + 1, 0,
                                 src.info.lines[0]) from None
        if checkpoint and rt.plan.checkpoint_skipped:
            import warnings
            for line, why in rt.plan.checkpoint_skipped:
                warnings.warn_explicit(
                    f"checkpoint: {why} in '{src.name}' keeps its full tape (only top-level "
                    "'for i in range(...)' loops are checkpointed)", UserWarning,
                    src.info.filename, src.info.line_offset + (line or 1))
        if self.store_costly:
            # (batches keep their zeros: passes/first_stores.py)
            adj.body = store_first_writes(adj.body, {v: t.ndim for v, t in env.items()
                                                     if t is not None and t.is_array})
        # fewer names bound in several places: Numba's SSA pass walks the whole function
        # once per such name (own_names.py, a batch's kernel.py; copies: forward_copies.py)
        adj = drop_dead_stores(unshared(adj))
        if self.store_costly:
            adj = split_loop_locals(adj, free_names(adj) | set(self.functions))
        adj = wrap_periodic_indices(forward_copies(adj), *_int_params(fn, env))
        for rname, rule in getattr(rt, "user_rules_used", {}).items():
            self.inject_user_rule(rname, rule)
        self.functions[fname], self.trees[fname] = emitted(adj, src.info,
                                                           adjoint_doc(src.name, wrt, mode))
        self.order.append(fname)
        self._vjp[key] = fname
        return fname

    def allocates_tapes(self) -> bool:
        """Whether a generated function allocates a tape (an array, a stack or a
        list: ``ir.TAPE``), whose memory the backend keeps between calls
        (runtime/memory.py)."""
        return any(ir.TAPE(st) is not None and ir.TAPE(st).role in ("array", "rows", "list")
                   for tree in self.trees.values() for st in nodes(tree))

    def callee_adjoint(self, func, arg_types, inplace=None):
        """The VJP of a user function the program calls: ``(its name, which
        arguments it differentiates, which arguments it reads the elements of
        as they are passed)``; an array whose incoming elements the function
        never reads (a buffer it fills, passes/argument_values.py) is passed
        to the VJP for its shape only."""
        diff = [t is not None and t.is_float for t in arg_types]
        src = get_source(func)
        wrt = [p for p, d in zip(src.params, diff) if d]
        name = self.adjoint(func, arg_types, wrt, "vjp", inplace=inplace)
        fn = self.analyze(func, arg_types, inplace)[1]
        params = [a.arg for a in fn.args.args]
        values = [not (t is not None and t.is_array and k < len(params) and
                       incoming_values_unread(fn, params[k]))
                  for k, t in enumerate(arg_types)]
        return name, diff, values

    def tangent(self, func, arg_types, wrt, fname=None, inplace=None, outputs=None):
        """Emit ``<name>_jvp(*args, *tangents of wrt) -> (value, tangent)``; callee
        user functions get their own JVP, specialised to the arguments that carry
        a tangent.  ``outputs``: for a function returning a tuple, the indices of
        the elements whose tangents are wanted (the others get zeros)."""
        from .passes.forward import ForwardTransformer
        name, fn, env, _ret, src = self.analyze(func, arg_types, inplace)
        key = (src.func, tuple(arg_types), tuple(wrt), "jvp", inplace,
               None if outputs is None else tuple(outputs))
        if key in self._vjp:
            return self._vjp[key]
        if fname is None:
            fname = Namer(set(self.functions), sep="_").fresh(f"{name}_jvp")
        ft = ForwardTransformer(fn, env, wrt, set(self.functions),
                                callee_tangent=self.callee_tangent, error=src.info.error,
                                outputs=outputs)
        tan = wrap_periodic_indices(ft.run(fname), *_int_params(fn, env))
        from .rules import registry
        for rname, rule in ft.user_rules_used.items():
            self.user_rules[rname] = rule.call
        for node in nodes(fn):   # user primitives the primal statements call
            prim = ir.PRIM(node)
            if prim and prim[0] == "call":
                p = registry.get_primitive(prim[1])
                if p is not None and hasattr(p, "callable"):
                    self.user_rules[registry.USER_RULE_NAMES[id(p.callable)]] = p.callable
        what = ", ".join(wrt) if wrt else "nothing"
        text = emit_function(tan, src.info,
                             f"Value and Jacobian-vector product of '{src.name}' along "
                             f"tangents of {what}.")
        if getattr(src.func, "__sourcediff_generated__", False):
            from .passes.forward import quote_user_lines
            text = quote_user_lines(text, src.info)
        self.functions[fname] = text
        self.order.append(fname)
        self._vjp[key] = fname
        return fname

    def callee_tangent(self, func, arg_types, positions, inplace=None):
        params = get_source(func).params
        return self.tangent(func, arg_types, [params[k] for k in positions], inplace=inplace)

    def prune(self, entries):
        """Keep only ``entries`` and the generated functions they call."""
        import re
        keep, todo = set(), list(entries)
        while todo:
            n = todo.pop()
            if n in keep:
                continue
            keep.add(n)
            code = re.sub(r"#.*", "", self.functions[n])   # not the quoted user lines
            for other in self.order:
                if other not in keep and re.search(rf"\b{other}\(", code):
                    todo.append(other)
        self.order = [n for n in self.order if n in keep]

    def inject_user_rule(self, rname, rule):
        """The user's rule and its primitive, by identity (another function may
        have the same name), into the generated module's namespace."""
        from .rules import registry
        self.user_rules[rname] = rule.call
        self.user_rules[registry.USER_RULE_NAMES[id(rule.key)]] = rule.key

    # -- module ----------------------------------------------------------
    def source(self, parallel=False) -> str:
        """The generated module; ``parallel``: its independent loops over
        ``prange`` (``target="parallel"``, passes/parallel_loops.py)."""
        info = self.root.info
        header = (f"Generated by sourcediff from {info.filename}:{info.line_offset + 1} "
                  f"('{info.name}'). Do not edit.")
        functions = [self.functions[n] for n in self.order]
        if parallel:
            functions = [prange_source(f) for f in functions]
        return module_source(functions, header)


# whether an adjoint may store the values read from arrays instead of putting
# their elements back (``Program.adjoint``); the tests of the put-back path turn
# it off for programs where storing the reads moves less
STORED_READS = True


def _list_pushes(fn) -> int:
    """How many statements of an adjoint push onto a list tape."""
    return sum(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and
               n.func.attr == "append" for n in nodes(fn))


def adjoint_doc(name, wrt, mode) -> str:
    """The docstring of the adjoint (``mode`` "grad" or "vjp") of ``name`` w.r.t. ``wrt``."""
    what = ", ".join(wrt) if wrt else "nothing"
    if mode == "grad":
        return f"Value and gradient of '{name}' with respect to {what}."
    return f"Value and vector-Jacobian product of '{name}' with respect to {what}."


def _int_params(fn, env) -> tuple:
    """The parameters of ``fn`` that are integers, and those that are arrays of
    integers (passes/wrap_indices.py)."""
    params = [(a.arg, env.get(a.arg)) for a in fn.args.args]
    return ([p for p, t in params if number_kind(t) == "int"],
            [p for p, t in params if t is not None and t.is_array and t.dtype is not None
             and t.dtype.kind in "iu"])


def _lower(s, env):
    import copy
    s = copy.copy(s)
    if ir.KIND(s) == ir.Kind.ASSIGN:
        s.value = lower_for_numba(s.value, env)
    for f in ("body", "orelse"):
        if getattr(s, f, None):
            setattr(s, f, [_lower(x, env) for x in getattr(s, f)])
    return s


__all__ = ["Program", "np"]
