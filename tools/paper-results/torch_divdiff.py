"""The discrete derivative of tanh, q(a, b) = (tanh b - tanh a) / (b - a), three ways in PyTorch,
for the precision studies (torch_precision.py, dg_gradient_noise.py):

- dtanh_authors: the authors' formula (tanh' at the midpoint where |b - a| <= eps: 1e-6 in
  float32, 1e-12 in float64), differentiated by autograd as written;
- DTanhWideBackward: its value, with the derivatives in a and b evaluated in float64 and
  rounded once;
- dtanh_exact: (1 - tanh a tanh b) tanh(b - a) / (b - a), whose derivatives do not cancel
  for any b - a.
"""
import torch


def dtanh_authors(a, b, eps=None):
    """The authors' discrete derivative of tanh (eps: their threshold for a's precision)."""
    if eps is None:
        eps = 1e-6 if a.dtype == torch.float32 else 1e-12
    d = b - a
    close = d.abs() <= eps
    quotient = (torch.tanh(b) - torch.tanh(a)) / torch.where(close, torch.ones_like(d), d)
    return torch.where(close, 1.0 - torch.tanh(0.5 * (a + b)) ** 2, quotient)


class DTanhWideBackward(torch.autograd.Function):
    """dtanh_authors' value; its derivatives in a and b from the same formula evaluated in float64
    (with the threshold of a's precision) and rounded once."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return dtanh_authors(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        eps = 1e-6 if a.dtype == torch.float32 else 1e-12  # the forward pass's threshold
        with torch.enable_grad():
            a64 = a.detach().to(torch.float64).requires_grad_(True)
            b64 = b.detach().to(torch.float64).requires_grad_(True)
            ga, gb = torch.autograd.grad(dtanh_authors(a64, b64, eps), (a64, b64), grad.to(torch.float64))
        return ga.to(a.dtype), gb.to(b.dtype)


class TanhRatio(torch.autograd.Function):
    """s(d) = tanh(d) / d (1 at d = 0) and its derivative, both without cancellation: Taylor
    series for |d| < 0.01 (truncation below 1e-16 relative), closed forms beyond."""

    @staticmethod
    def forward(ctx, d):
        ctx.save_for_backward(d)
        small = d.abs() < 0.01
        safe = torch.where(small, torch.ones_like(d), d)
        d2 = d * d
        series = 1 - d2 / 3 + 2 * d2 ** 2 / 15 - 17 * d2 ** 3 / 315
        return torch.where(small, series, torch.tanh(safe) / safe)

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        small = d.abs() < 0.01
        safe = torch.where(small, torch.ones_like(d), d)
        d2 = d * d
        series = d * (-2.0 / 3 + 8 * d2 / 15 - 102 * d2 ** 2 / 315 + 496 * d2 ** 3 / 2835)
        t = torch.tanh(safe)
        closed = (safe * (1 - t * t) - t) / (safe * safe)
        return grad * torch.where(small, series, closed)


def dtanh_exact(a, b):
    """(tanh b - tanh a) / (b - a) written as (1 - tanh a tanh b) tanh(b - a) / (b - a): every
    derivative of this form is free of cancellation."""
    return (1 - torch.tanh(a) * torch.tanh(b)) * TanhRatio.apply(b - a)
