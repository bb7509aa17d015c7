"""``edigateway demo``: the main job end to end on a made-up practice, with the simulator.

A front end beside the CLI, the API and the workers (it wires its own gateway with
:func:`edigateway.bootstrap.bootstrap` and starts :mod:`edigateway.sim`), so services never
import it: :mod:`~edigateway.demo.practice` is the practice and its month of claims,
:mod:`~edigateway.demo.job` runs it and summarises what the database holds afterwards.
"""
