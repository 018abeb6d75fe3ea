"""Everything that talks to Kubernetes: connections, clusters, the resource registry, caches, streams.

Nothing outside this package imports `kubernetes_asyncio`; its errors are translated into
`kube.errors.KubeError` here and never leave.
"""
