"""Care deserts by the Center for American Progress definition.

An area is a care desert when it has more than ``min_children`` children and either no places
or more than ``max_children_per_place`` children per place (both inequalities strict). CAP
uses 50 children and 3 children per place; both are parameters.
"""

from __future__ import annotations

import numpy as np


def is_desert(children: np.ndarray, places: np.ndarray, min_children: float = 50,
              max_children_per_place: float = 3) -> np.ndarray:
    """Per area: True when it is a care desert (see the module docstring)."""
    children = np.asarray(children, float)
    places = np.asarray(places, float)
    return (children > min_children) & ((places <= 0) | (children > max_children_per_place * places))
