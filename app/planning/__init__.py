"""Planning measures: demand, coverage, floating catchments, care deserts, site suggestion.

A numeric core (arrays in EPSG:5179 metres, no Flask, no folium) with a GeoDataFrame adapter
(``adapter``) and one orchestrator (``analysis``) that the API, the planner page, the CLI and
the notebooks all call.
"""
