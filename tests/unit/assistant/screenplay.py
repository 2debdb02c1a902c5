"""A short screenplay excerpt written for these tests (Fountain), with what a reader sees in it."""

EXCERPT = """Title: The Lighthouse Keeper's Daughter
Credit: written for the test suite
Author: Anonymous

FADE IN:

EXT. ROCKY COAST - DAWN

Grey waves break against black rocks. A lighthouse stands on the point, its lamp still turning.

MARA (20s), in a yellow oilskin, climbs the path with a lantern.

MARA
(to herself)
One more night. Just one more.

CUT TO:

INT. LIGHTHOUSE - LAMP ROOM - CONTINUOUS #2#

The great lens fills the room with moving light. Dust hangs in the beams.

/* An earlier draft had a cat here. */

Mara sets the lantern down and wipes the glass with her sleeve. [[Check the lens prop with art.]]

OLD TOM (O.S.)
Is that you, girl?

MARA
Who else would it be?

.BELOW DECKS

Rows of oil drums. A single bulb swings overhead.

INT./EXT. FISHING BOAT - NIGHT

!MARA WATCHES the beam sweep the water.

> SMASH CUT TO:

EST. HARBOUR TOWN - MORNING

Gulls wheel over the roofs. The harbour is empty.

FADE OUT.
"""

HEADINGS = [
    "EXT. ROCKY COAST - DAWN",
    "INT. LIGHTHOUSE - LAMP ROOM - CONTINUOUS",
    "BELOW DECKS",
    "INT./EXT. FISHING BOAT - NIGHT",
    "EST. HARBOUR TOWN - MORNING",
]

LAMP_ROOM = """INT. LIGHTHOUSE - LAMP ROOM - NIGHT

The great lens fills the room with moving light. Dust hangs in the beams.

MARA
Who's there?

Mara sets the lantern down and wipes the glass with her sleeve.

A shadow crosses the window.
"""
