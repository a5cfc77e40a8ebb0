"""Settings: defaults < TOML < TT_* environment < overrides."""

import pytest

from offchain.config import Settings, load_settings


def test_defaults():
    assert load_settings(env={}) == Settings()


def test_toml_then_env_then_override(tmp_path):
    p = tmp_path / "agent.toml"
    p.write_text('[agent]\nrpc_url = "http://x:1"\nsamples = 7\npoll_interval = 0.5\n')
    s = load_settings(p, env={"TT_SAMPLES": "9"})
    assert (s.rpc_url, s.samples, s.poll_interval) == ("http://x:1", 9, 0.5)
    assert load_settings(p, env={"TT_SAMPLES": "9"}, samples=2).samples == 2


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_settings(tmp_path / "missing.toml", env={})
    p = tmp_path / "a.toml"
    p.write_text("colour = 1\n")
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        load_settings(p, env={})
    with pytest.raises(ValueError, match="bad value for samples"):
        load_settings(env={"TT_SAMPLES": "many"})
