"""The one symbology of every map and chart (land-release convention).

The pages (map_ui/style.py) and the published map style (ims/reports/tilejson.py) both
take their colours from here.
"""

from __future__ import annotations

# Remaining ground: CHA red, SHA orange.
STATUS_COLOURS = {"CHA": "#d7191c", "SHA": "#fdae61"}
STATUS_LABELS = {"CHA": "Confirmed hazardous area (CHA)", "SHA": "Suspected hazardous area (SHA)"}
# Their edges, dark enough to stand 3:1 against the basemap and the provinces' shading
# (SHA's orange alone stood 1.0-2.0:1), and a suspected area's edge dashed, so that the two
# statuses differ in more than colour (an accessibility review, helper-93).
STATUS_EDGES = {"CHA": "#67000d", "SHA": "#7f2704"}
STATUS_DASHES = {"CHA": "", "SHA": "4 3"}

# Released land: a light green, a teal and a blue-teal, lightest for the least work. Picked
# so that each stays apart from both reds/oranges and from each other under deuteranopia
# and protanopia too (a mid green next to CHA red does not).
METHOD_COLOURS = {"cancelled": "#a1dab4", "reduced": "#35978f", "cleared": "#2c7fb8"}
METHOD_LABELS = {
    "cancelled": "Cancelled (non-technical survey)",
    "reduced": "Reduced (technical survey)",
    "cleared": "Cleared",
}

# Released polygon outside its hazard: kept and shown, never counted (docs/design.md §2.2).
OUTSIDE_COLOUR = "#969696"

# Province choropleth of remaining area (km²), a purple ramp that no layer above uses. The
# classes grow about fivefold, so that one set of them reads a programme of a hundred km²
# (provinces of 0.4–33 km²: the demo) and a national one of thousands (27–933 km²): the
# classes had ended at 20 km², and at national scale every province was the darkest (a
# walk-through at national scale). Fixed, not drawn from the data: a province keeps its
# colour for the same area on any date, and the maps of two dates compare.
CHOROPLETH_BREAKS_KM2 = (1.0, 5.0, 20.0, 100.0, 500.0)
# A district holds about a tenth of a province's area: its classes a tenth of theirs. Drawn
# in the provinces' classes, the demo's districts (all under 7 km²) were the two palest
# shades, the Article 7 PDF's district map nearly one colour (helper-97).
DISTRICT_BREAKS_KM2 = (0.1, 0.5, 2.0, 10.0, 50.0)
CHOROPLETH_COLOURS = ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3")
BOUNDARY_COLOUR = "#54278f"

# Review map: features with findings, beside the hazards already recorded. An error is
# magenta, not red: drawn in CHA's red, a national file's errors and the country's
# confirmed hazards were one red block.
FINDING_COLOURS = {"error": "#c51b7d", "warning": "#ff7f00", "": "#636363"}
