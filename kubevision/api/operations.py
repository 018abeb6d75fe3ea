"""Routes for operations (being written)."""

from kubevision.api.routing import ApiRoutes

routes = ApiRoutes("operations")
