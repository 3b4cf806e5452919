"""``torch.autograd.anomaly_mode``: find the forward line behind a failing backward."""

from ..tensor.anomaly import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
