"""What the simulator publishes so that a gateway finds it with no set-up: the name of its
clearinghouse profile and the file, in its folder (``settings.sim_dir``), holding the public
line of its SSH host key.

The simulator writes that file when it starts (:mod:`edigateway.sim.runner`); the gateway's
wiring (:mod:`edigateway.bootstrap`) pins the key from it for the ``simulator`` profile. The
names live here, on the simulator's side, so the simulator needs nothing from the gateway's
wiring, which sits above it (the import-linter contracts in ``pyproject.toml``).
"""

SIMULATOR = "simulator"
"""The profile name of the local simulator (``mappings/clearinghouses/simulator.json``)."""

SIM_HOST_KEY_FILE = "host_key.pub"
"""The simulator's host key line, in its folder, for the gateway to pin."""
