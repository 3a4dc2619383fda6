"""JupyterHub: ``latsar hub`` (:mod:`.server`: the plan, users, services), its closure against
participant accounts (:mod:`.security`), the participants' runtime outside every course folder
(:mod:`.runtime`) and the trial mode's accounts (:mod:`.trial`)."""
