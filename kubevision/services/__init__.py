"""What the product does, below the HTTP layer: resource reads and writes, workload actions, views across
kinds, pod streams, audit, favorites and terminal recordings. Services decide access (one scope per
request and kind) and audit every change; they call `kube/` for Kubernetes and `store/` for the database,
and never import `api/` or `web/`."""
