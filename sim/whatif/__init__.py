"""The what-if page (``evacsim serve``): move a lever, watch the date everyone is out move.

A local web application over the one engine: each change of a lever is run as a second point
beside the unchanged scenario on common random numbers (:mod:`sim.whatif.session`), the answer
is read from the replications as they arrive (:mod:`sim.whatif.answer`), the levers a page may
move are a whitelist (:mod:`sim.whatif.levers`), and what a planner found is kept as a scenario
file, a results folder and a report (:mod:`sim.whatif.keep`). The page itself is served by
:mod:`sim.whatif.app` from files shipped in ``sim/whatif/static``.
"""
