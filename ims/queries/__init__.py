"""What the pages and the API read besides the reports, as typed objects (docs/design.md §5.1).

Pages and routers hold no SQL: they call these functions, and both call the same one
when they show the same thing.
"""
