"""Wiring the live service into a JupyterHub config."""

from __future__ import annotations

from traitlets.config import Config

from latsar.live.service import configure_hub, hub_service_config


def test_configure_hub_merges_roles_and_environment(tmp_path):
    c = Config()
    c.JupyterHub.services = [{"name": "formgrader", "url": "http://127.0.0.1:9999"}]
    c.JupyterHub.load_roles = [{"name": "server", "scopes": ["users:activity!user", "access:servers!server",
                                                            "access:services!service=formgrader"]}]
    c.Spawner.environment = {"LATSAR_EXCHANGE": "/srv/exchange"}
    configure_hub(c, tmp_path, port=10555)

    assert [s["name"] for s in c.JupyterHub.services] == ["formgrader", "latsar-live"]
    live = c.JupyterHub.services[1]
    assert live["url"] == "http://127.0.0.1:10555" and live["oauth_no_confirm"] is True
    assert live["command"][-4:] == ["--port", "10555", "--course-id", "latsar-pelayanan"]
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert set(roles["server"]["scopes"]) == {"users:activity!user", "access:servers!server",
                                              "access:services!service=formgrader",
                                              "access:services!service=latsar-live"}
    assert roles["latsar-live-access"]["groups"] == ["formgrade-latsar-pelayanan", "nbgrader-latsar-pelayanan"]
    assert c.Spawner.environment == {"LATSAR_EXCHANGE": "/srv/exchange",
                                     "LATSAR_LIVE_URL": "http://127.0.0.1:10555/services/latsar-live/"}


def test_configure_hub_on_an_empty_config(tmp_path):
    c = Config()
    conf = configure_hub(c, tmp_path)
    assert conf == hub_service_config(tmp_path)
    assert {r["name"] for r in c.JupyterHub.load_roles} == {"server", "latsar-live-access"}
