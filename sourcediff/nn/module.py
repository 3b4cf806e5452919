"""``Module`` and ``Parameter``: PyTorch's container for trainable tensors."""

from __future__ import annotations

from collections import OrderedDict

from ..tensor import grad_mode
from ..tensor.core import Tensor, new_tensor
from ..tensor.creation import empty


class Parameter(Tensor):
    """A tensor that a Module registers as trainable (``requires_grad=True`` by default)."""

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            data = empty(0)
        out = new_tensor(cls, data._data)
        out._requires_grad = bool(requires_grad)
        return out

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class Module:
    """Base class of layers and models: attributes that are Parameters or Modules are
    registered, ``parameters()`` finds them recursively, calling runs ``forward``.

    >>> import sourcediff as sd
    >>> class Affine(sd.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = sd.nn.Parameter(sd.ones(2))
    ...     def forward(self, x):
    ...         return self.w * x
    >>> m = Affine()
    >>> [name for name, _ in m.named_parameters()], m(sd.tensor([1., 2.]))
    (['w'], tensor([1., 2.], grad_fn=<MulBackward0>))
    """

    training: bool

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())

    # -- registration -------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            params[name] = None
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (torch.nn.Module or None expected)")
            modules[name] = None
        elif buffers is not None and name in buffers:
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for store in ("_parameters", "_modules", "_buffers"):
            self.__dict__[store].pop(name, None)

    def __getattr__(self, name: str):
        for store in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(store)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(store, {}):
                del self.__dict__[store][name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (torch.nn.Parameter or None required)")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a non-trainable tensor that belongs to the module's state."""
        self._forget(name)
        self._buffers[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a submodule under ``name``."""
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # -- running ------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- traversal ----------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = ""):
        """Yield ``(name, module)`` for self and every submodule, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, store: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[store].items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """Yield ``(dotted name, parameter)``, each parameter once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        """Yield every parameter of self and its submodules."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # -- state --------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None by default, like torch)."""
        for p in self.parameters():
            if p._grad is None:
                continue
            if set_to_none:
                p._grad = None
            else:
                p._grad = p._grad.detach()
                p._grad.zero_()

    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn) -> Module:
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def state_dict(self, prefix: str = "") -> OrderedDict:
        """Parameters and buffers by dotted name (detached, sharing storage)."""
        state = OrderedDict()
        for name, p in self._named_members("_parameters", prefix, True):
            state[name] = p.detach()
        for name, b in self._named_members("_buffers", prefix, True):
            state[name] = b.detach()
        return state

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values from ``state_dict`` into the parameters and buffers."""
        own = dict(self._named_members("_parameters", "", True))
        own.update(self._named_members("_buffers", "", True))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                f"Missing key(s) in state_dict: {missing}. "
                f"Unexpected key(s) in state_dict: {unexpected}."
            )
        with grad_mode.no_grad():
            for name, value in state_dict.items():
                if name in own:
                    own[name].copy_(value)
        return missing, unexpected

    def _apply_to_tensors(self, fn) -> Module:
        for module in self.modules():
            for store in ("_parameters", "_buffers"):
                for value in module.__dict__[store].values():
                    if value is not None:
                        value._data = fn(value)._data
        return self

    def to(self, *args, **kwargs) -> Module:
        """Convert parameters and buffers to a floating dtype (devices other than cpu fail)."""
        return self._apply_to_tensors(lambda t: t.detach().to(*args, **kwargs))

    def float(self) -> Module:
        return self._apply_to_tensors(lambda t: t.detach().float())

    def double(self) -> Module:
        return self._apply_to_tensors(lambda t: t.detach().double())

    def cpu(self) -> Module:
        return self

    # -- printing -----------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2)
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"
