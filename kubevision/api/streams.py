"""Routes for streams (being written)."""

from kubevision.api.routing import ApiRoutes

routes = ApiRoutes("streams")
