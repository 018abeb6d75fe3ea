"""KubeVision: a Kubernetes web dashboard that ships as one executable."""

__version__ = "0.1.0"
