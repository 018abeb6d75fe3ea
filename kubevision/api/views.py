"""Routes for views (being written)."""

from kubevision.api.routing import ApiRoutes

routes = ApiRoutes("views")
