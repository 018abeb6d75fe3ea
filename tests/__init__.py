"""KubeVision test suite."""
