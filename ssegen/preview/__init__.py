"""`ssegen serve`: the specs built in memory and served by mocks over the real runtime.

The one part of ssegen outside `runtime/` that imports the runtime (and FastAPI):
it serves, the build pipeline never does.

What users see of it: README, "A mock before the backend exists".
"""
